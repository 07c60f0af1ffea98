/**
 * Cost of checking a signature now that three encodings of the message hash are accepted: a signature over the full
 * 32 bytes and over the minimal bytes of a hash with a leading zero byte (ocean.js), each the first form tried for
 * its hash, and a refused one (every form tried), each per check, in one run.
 */
import { getBytes, toBeArray, Wallet } from 'ethers';
import { isSignedBy, messageHash } from '../src/auth/signatures';
import { type Figures, fmt, nowMs, percentile, round, table } from './support';

const SAMPLES = 300;

function leadingZeroMessages(address: string, count: number): string[] {
  const found: string[] = [];
  for (let n = 1700000000000; found.length < count; n++) {
    const message = `${address}${n}startCompute`;
    if (getBytes(messageHash(message))[0] === 0) found.push(message);
  }
  return found;
}

function time(cases: Array<[string, string, string]>): number[] {
  return cases.map(([message, signature, address]) => {
    const t0 = nowMs();
    isSignedBy(message, signature, address);
    return nowMs() - t0;
  });
}

export async function run(): Promise<Figures> {
  const wallet = Wallet.createRandom();
  const plain = Array.from({ length: SAMPLES }, (_, i) => `${wallet.address}${1700000000000 + i}startCompute`);
  const zero = leadingZeroMessages(wallet.address, SAMPLES / 10);
  const sign = (message: string, minimal: boolean) =>
    wallet.signMessage(minimal ? toBeArray(messageHash(message)) : getBytes(messageHash(message)));
  const full = await Promise.all(
    plain.map(async (m) => [m, await sign(m, false), wallet.address] as [string, string, string]),
  );
  const minimal = await Promise.all(
    zero.map(async (m) => [m, await sign(m, true), wallet.address] as [string, string, string]),
  );
  const stranger = Wallet.createRandom().address;
  const refused = full.map(([m, s]) => [m, s, stranger] as [string, string, string]);
  const rows = [
    ['full 32 bytes (accepted, 1st form)', time(full)],
    ['toBeArray, leading zero (accepted, 1st form)', time(minimal)],
    ['wrong signer (refused, every form)', time(refused)],
  ] as const;
  const base = percentile(rows[0][1] as number[], 50);
  table(
    rows.map(([label, samples]) => ({
      case: label,
      samples: samples.length,
      p50: fmt(percentile(samples as number[], 50)),
      p99: fmt(percentile(samples as number[], 99)),
      'p50 / full': (percentile(samples as number[], 50) / base).toFixed(2),
    })),
  );
  return {
    fullP50Ms: round(base),
    minimalVsFull: round(percentile(rows[1][1] as number[], 50) / base),
    refusedVsFull: round(percentile(rows[2][1] as number[], 50) / base),
  };
}
