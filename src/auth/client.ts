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

export interface AppKeyCallOptions {
  url: string;
  wallet: Wallet;
}

/** A fresh signed-request triple for `command` (next nonce from the API, signed address + nonce + command). */
async function signedFields(
  url: string,
  wallet: Wallet,
  command: string,
): Promise<{ address: string; nonce: string; signature: string }> {
  const { address } = wallet;
  const { nonce: last } = await getJson<{ nonce: number }>(new URL(`/api/services/nonce?userAddress=${address}`, url));
  const nonce = String(last + 1);
  return { address, nonce, signature: await signOceanMessage(wallet, address + nonce + command) };
}

/** `bourse app-key create <name>`: a long-lived key for the wallet's address. */
export async function createAppKey({ url, wallet }: AppKeyCallOptions, name: string): Promise<AppKeyInfo> {
  const body = { ...(await signedFields(url, wallet, `createAppKey${name}`)), name };
  return getJson<AppKeyInfo>(new URL('/api/services/appKeys', url), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

export async function listAppKeys({ url, wallet }: AppKeyCallOptions): Promise<AppKeyInfo[]> {
  const query = new URLSearchParams(await signedFields(url, wallet, 'listAppKeys'));
  return getJson<AppKeyInfo[]>(new URL(`/api/services/appKeys?${query}`, url));
}

/** Drops the key named (or equal to) `nameOrKey`. */
export async function dropAppKey({ url, wallet }: AppKeyCallOptions, nameOrKey: string): Promise<void> {
  const query = new URLSearchParams(await signedFields(url, wallet, `dropAppKey${nameOrKey}`));
  await getJson(new URL(`/api/services/appKeys/${encodeURIComponent(nameOrKey)}?${query}`, url), { method: 'DELETE' });
}

export interface AppKeyInfo {
  name: string;
  key: string;
  address: string;
  created: string;
}

async function getJson<T>(url: URL, init?: RequestInit): Promise<T> {
  const res = await fetch(url, init).catch((err: Error & { cause?: Error }) => {
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
  return (text === '' ? undefined : JSON.parse(text)) as T;
}
