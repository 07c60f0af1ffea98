import dns from 'node:dns';
import net from 'node:net';
import { Invalid } from '../kernel/errors';

/** Loopback, unspecified, link-local, private, shared, benchmark, multicast and reserved ranges. */
const PRIVATE = new net.BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 3],
] as const)
  PRIVATE.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of [
  ['::', 127],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const)
  PRIVATE.addSubnet(network, prefix, 'ipv6');

/** Whether an IP address (v4, v6 or v4-mapped v6) is not a public unicast address. */
export function isPrivateAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return PRIVATE.check(mapped[1], 'ipv4');
  const family = net.isIP(address);
  if (family === 0) return true;
  return PRIVATE.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** Only http(s) URLs; a refusal names the webhook. */
export function webhookUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Invalid('Invalid webhook: not a URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Invalid('Invalid webhook: only http(s) URLs');
  return url;
}

/** Every address the host resolves to, refused (Invalid) when one is private and private targets are not allowed. */
export async function checkedAddresses(host: string, allowPrivate: boolean): Promise<dns.LookupAddress[]> {
  const bare = host.replace(/^\[|\]$/g, '');
  let addresses: dns.LookupAddress[];
  try {
    addresses = net.isIP(bare)
      ? [{ address: bare, family: net.isIP(bare) }]
      : await dns.promises.lookup(bare, { all: true });
  } catch {
    throw new Invalid(`Invalid webhook: the host ${bare} does not resolve`);
  }
  if (!allowPrivate && addresses.some((a) => isPrivateAddress(a.address)))
    throw new Invalid('Invalid webhook: it resolves to a loopback, link-local or private address');
  return addresses;
}

/**
 * A `lookup` for http.request that resolves the host itself and refuses private addresses, so the address checked is
 * the address connected to (a DNS answer that changes between a check and the connection cannot slip through).
 */
export function guardedLookup(allowPrivate: boolean): net.LookupFunction {
  return (hostname, options, callback) => {
    checkedAddresses(hostname, allowPrivate).then(
      (addresses) => {
        if ((options as dns.LookupOptions).all) callback(null, addresses);
        else callback(null, addresses[0].address, addresses[0].family);
      },
      (err: Error) => callback(err as NodeJS.ErrnoException, '', 0),
    );
  };
}
