import fs from 'node:fs';
import { Wallet } from 'ethers';
import { signOceanMessage } from './signatures';

/** A new random identity, as `bourse keygen` prints it. */
export function generateKey(): { address: string; privateKey: string } {
  const wallet = Wallet.createRandom();
  return { address: wallet.address, privateKey: wallet.privateKey };
}

/** The wallet for a hex private key (from a key file's first line or the environment); a clear error otherwise. */
export function walletFromKey(privateKey: string): Wallet {
  try {
    return new Wallet(privateKey.trim());
  } catch {
    throw new Error('The private key is not valid: expected 32 bytes as hex (0x followed by 64 hex digits)');
  }
}

export function readKeyFile(file: string): string {
  return fs.readFileSync(file, 'utf8').split('\n')[0];
}

export interface MintTokenOptions {
  /** Base URL of a running Bourse API, e.g. http://127.0.0.1:7465. */
  url: string;
  wallet: Wallet;
  expiresInSeconds: number;
}

/**
 * Mints an auth token the way a Provider-era client does: GET nonce, sign address + next nonce, GET createAuthToken.
 */
export async function mintToken({ url, wallet, expiresInSeconds }: MintTokenOptions): Promise<string> {
  const { address } = wallet;
  const { nonce: last } = await getJson<{ nonce: number }>(new URL(`/api/services/nonce?userAddress=${address}`, url));
  const nonce = String(last + 1);
  const query = new URLSearchParams({
    address,
    nonce,
    expiration: String(Math.floor(Date.now() / 1000) + expiresInSeconds),
    signature: await signOceanMessage(wallet, address + nonce),
  });
  const { token } = await getJson<{ token: string }>(new URL(`/api/services/createAuthToken?${query}`, url));
  return token;
}

async function getJson<T>(url: URL): Promise<T> {
  const res = await fetch(url).catch((err: Error & { cause?: Error }) => {
    throw new Error(`Could not reach ${url.origin}: ${err.cause?.message ?? err.message}`);
  });
  const text = await res.text();
  if (!res.ok) {
    let message = text;
    try {
      message = (JSON.parse(text) as { message?: string }).message ?? text;
    } catch {
      // not JSON: report the text as it is
    }
    throw new Error(`${url.pathname} answered ${res.status}: ${message}`);
  }
  return JSON.parse(text) as T;
}
