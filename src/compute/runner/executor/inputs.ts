import fs from 'node:fs';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** Why an input could not be provisioned; the job ends at 31 with this message as its reason. */
export class InputError extends Error {}

export interface InputPolicy {
  /** Hosts allowed for http(s) inputs; "*" allows any. data: URLs need no host. */
  allowedHosts: string[];
  /** Budget in bytes for this fetch (what is left of the job's input allowance). */
  maxBytes: number;
  timeoutMs: number;
}

const MAX_REDIRECTS = 5;

function checkUrl(raw: string, policy: InputPolicy): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new InputError(`input "${raw.slice(0, 100)}" is not a URL`);
  }
  if (url.protocol === 'data:') return url;
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new InputError(`input scheme ${url.protocol} is not allowed (http, https and data only)`);
  const host = url.hostname.toLowerCase().replace(/^\[|\]$/g, '');
  if (!policy.allowedHosts.includes('*') && !policy.allowedHosts.includes(host)) {
    throw new InputError(`input host ${host} is not in this runner's allow-list (BOURSE_RUNNER_INPUT_HOSTS)`);
  }
  return url;
}

/** Caps a stream at `maxBytes`, failing it with an InputError beyond. */
function sizeCap(maxBytes: number, label: string): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      seen += chunk.length;
      if (seen > maxBytes) done(new InputError(`${label} is larger than the ${maxBytes} bytes allowed`));
      else done(null, chunk);
    },
  });
}

function describe(url: URL): string {
  return url.protocol === 'data:' ? 'data: input' : `input ${url.origin}${url.pathname}`;
}

/**
 * Downloads one input (http, https or data: URL; never file:) into `dest`, following at most five redirects,
 * each re-checked against the host allow-list, within a byte budget and a timeout. Returns the size written.
 */
export async function fetchInput(raw: string, dest: string, policy: InputPolicy): Promise<number> {
  let url = checkUrl(raw, policy);
  const signal = AbortSignal.timeout(policy.timeoutMs);
  try {
    for (let hop = 0; ; hop++) {
      const response = await fetch(url, { redirect: 'manual', signal });
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location) {
        await response.body?.cancel();
        if (hop >= MAX_REDIRECTS) throw new InputError(`${describe(url)} redirects more than ${MAX_REDIRECTS} times`);
        url = checkUrl(new URL(location, url).toString(), policy);
        continue;
      }
      if (!response.ok) {
        await response.body?.cancel();
        throw new InputError(`${describe(url)} answered HTTP ${response.status}`);
      }
      const declared = Number(response.headers.get('content-length') ?? NaN);
      if (declared > policy.maxBytes) {
        await response.body?.cancel();
        throw new InputError(`${describe(url)} is larger than the ${policy.maxBytes} bytes allowed`);
      }
      const body = response.body
        ? Readable.fromWeb(response.body as import('node:stream/web').ReadableStream)
        : Readable.from([]);
      await pipeline(body, sizeCap(policy.maxBytes, describe(url)), fs.createWriteStream(dest));
      return (await fs.promises.stat(dest)).size;
    }
  } catch (err) {
    if (err instanceof InputError) throw err;
    if (signal.aborted) throw new InputError(`${describe(url)} did not arrive within ${policy.timeoutMs} ms`);
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new InputError(
      `${describe(url)} could not be fetched: ${cause?.code ?? cause?.message ?? (err as Error).message}`,
    );
  }
}
