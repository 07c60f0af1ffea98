import http from 'node:http';
import zlib from 'node:zlib';
import fc from 'fast-check';
import { newParty, type Party } from '../support/identities';
import { startTestInstance, type TestInstance } from '../support/instance';
import { dealViaApi, snapshot, type Deal } from './parties';
import { fillPath, routeCapture, type ServedRoute } from './routes';

/**
 * Random requests over every route the API serves (read from its router, so routes added later are fuzzed too),
 * sent by a third party while two other parties have a live negotiation and agreement. Properties: no 5xx, every
 * error is JSON (yagna's 401 on /market-api is plain text), nothing the two parties see changes.
 */
/** Fixed for the suite; FUZZ_SEED and FUZZ_RUNS explore further by hand. */
const SEED = Number(process.env.FUZZ_SEED ?? 20261130);
const RUNS = Number(process.env.FUZZ_RUNS ?? 50);
const BATCH = 8;
const BODY_LIMIT = 64 * 1024; // small, so that oversized bodies are cheap to send

interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}

interface Answer {
  status: number;
  type: string;
  text: string;
}

function sendRaw(base: string, request: FuzzRequest): Promise<Answer> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...request.headers };
    if (request.body) headers['Content-Length'] = request.body.length;
    const req = http.request(
      { host: url.hostname, port: url.port, method: request.method, path: request.path, headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode!,
            type: res.headers['content-type'] ?? '',
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error('no answer within 10 s')));
    req.on('error', reject);
    req.end(request.body);
  });
}

/** What is wrong with one answer, or undefined. */
function problemWith(request: FuzzRequest, answer: Answer): string | undefined {
  if (answer.status >= 500) return `${answer.status} ${answer.text.slice(0, 200)}`;
  if (answer.status < 400 || request.method === 'HEAD') return undefined;
  if (answer.status === 401 && request.path.startsWith('/market-api/')) {
    return /^text\/plain/.test(answer.type) && answer.text.length > 0
      ? undefined
      : `401 not plain text: ${answer.type}`;
  }
  if (!/^application\/json/.test(answer.type))
    return `${answer.status} with ${answer.type}: ${answer.text.slice(0, 200)}`;
  try {
    const body = JSON.parse(answer.text) as { message?: unknown };
    return typeof body.message === 'string' ? undefined : `${answer.status} without a message: ${answer.text}`;
  } catch {
    return `${answer.status} body is not JSON: ${answer.text.slice(0, 200)}`;
  }
}

const nested = (depth: number, open: string, close: string, inner: string): string =>
  open.repeat(depth) + inner + close.repeat(depth);

function arbitraries(routes: ServedRoute[], deal: Deal, mine: Record<string, string>, tokens: string[]) {
  const victimIds = [deal.demandId, deal.offerId, deal.initialId, deal.draftId, deal.counterId, deal.agreementId];
  const malformed = fc.oneof(
    fc.string({ maxLength: 40 }).map(encodeURIComponent),
    fc.constantFrom('%zz', '%', '%2F', '%00', '..', '%2e%2e', '-1', '0', '1e999', 'null', '%F0%9F%92%A5', 'R-', 'P-'),
    fc.constantFrom(deal.agreementId.toUpperCase(), `R-${deal.draftId}`, `P-${deal.counterId}`, `${deal.demandId}x`),
    fc.integer({ min: 1, max: 5000 }).map((n) => 'a'.repeat(n)),
    fc.stringMatching(/^[0-9a-f]{1,80}$/),
  );
  const param = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...victimIds) },
    { weight: 2, arbitrary: fc.constantFrom(...Object.values(mine)) },
    { weight: 3, arbitrary: malformed },
  );
  const queryValue = fc.oneof(
    fc.constantFrom('0', '0.2', '-1', 'abc', '', '1e999', 'NaN', '101', '2016-11-11T15:12:00Z', 'Approved', 'x%zz'),
    fc.string({ maxLength: 30 }).map(encodeURIComponent),
    fc.constantFrom(...victimIds, deal.requestor.address, deal.provider.address, ...tokens),
  );
  const queryName = fc.constantFrom(
    'timeout',
    'maxEvents',
    'appSessionId',
    'afterTimestamp',
    'afterDate',
    'state',
    'jobId',
    'index',
    'agreementId',
    'address',
    'consumerAddress',
    'nonce',
    'signature',
    'token',
    'authToken',
    'expiration',
    'userAddress',
    '%zz',
    '',
  );
  const query = fc
    .array(fc.tuple(queryName, queryValue), { maxLength: 5 })
    .map((pairs) => (pairs.length === 0 ? '' : `?${pairs.map(([k, v]) => `${k}=${v}`).join('&')}`));
  const json = fc.oneof(
    fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
    fc
      .record({ properties: fc.jsonValue({ maxDepth: 3 }), constraints: fc.string({ maxLength: 60 }) })
      .map((v) => JSON.stringify(v)),
    fc.constantFrom(
      JSON.stringify({ properties: { a: 1 }, constraints: '(a=1)' }),
      JSON.stringify({ message: 'no', extra: { a: [1] } }),
      JSON.stringify({ proposalId: deal.draftId, validTo: new Date(Date.now() + 3_600_000).toISOString() }),
      JSON.stringify({ agreementId: deal.agreementId, algorithm: {}, datasets: [] }),
      JSON.stringify({ type: 'offer', constraints: '()' }),
      JSON.stringify({ __proto__: { polluted: true }, constructor: { prototype: {} } }),
      'null',
      '{"a": ',
      '[1,2',
    ),
    fc
      .integer({ min: 65, max: 20_000 })
      .map((d) => `{"properties":{"x":${nested(d, '[', ']', '')}},"constraints":"()"}`),
    fc.integer({ min: 65, max: 20_000 }).map((d) => `{"message":"x","d":${nested(d, '{"a":', '}', '1')}}`),
    fc.constantFrom(
      JSON.stringify({ pad: 'x'.repeat(BODY_LIMIT + 1) }),
      JSON.stringify({ pad: 'x'.repeat(BODY_LIMIT - 20) }),
    ),
  );
  const contentType = fc.constantFrom(
    'application/json',
    'application/vnd.x+json',
    'text/plain',
    '',
    'application/json; charset=latin1',
  );
  const encoding = fc.constantFrom(
    '',
    '',
    '',
    'gzip',
    'gzip-plain',
    'deflate-plain',
    'br-plain',
    'compress',
    'identity',
  );
  const auth = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...tokens).map((t) => ({ Authorization: `Bearer ${t}` })) },
    { weight: 1, arbitrary: fc.constant({}) },
    { weight: 1, arbitrary: fc.constantFrom('garbage', 'Bearer ', 'Bearer a.b.c').map((v) => ({ Authorization: v })) },
  );
  const method = (route: ServedRoute) =>
    fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...route.methods) },
      { weight: 1, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'PROPFIND') },
    );
  const request: fc.Arbitrary<FuzzRequest> = fc.constantFrom(...routes).chain((route) =>
    fc
      .record({
        method: method(route),
        params: fc.array(param, { minLength: route.params.length, maxLength: route.params.length }),
        query,
        auth,
        body: fc.option(json, { freq: 3 }),
        contentType,
        encoding,
      })
      .map(({ method, params, query, auth, body, contentType, encoding }) => {
        let index = 0;
        const path = fillPath(route, () => params[index++]) + query;
        const headers: Record<string, string> = { ...auth };
        if (contentType) headers['Content-Type'] = contentType;
        let bytes = body === null ? undefined : Buffer.from(body);
        if (bytes && encoding) {
          const [name, plain] = encoding.split('-');
          headers['Content-Encoding'] = name;
          if (name === 'gzip' && !plain) bytes = zlib.gzipSync(bytes);
        }
        const shown = `${method} ${path.slice(0, 300)} ${JSON.stringify({ ...headers, Authorization: undefined })}`;
        const summary = `${shown} body ${bytes?.length ?? 'none'}: ${bytes?.subarray(0, 120).toString('latin1') ?? ''}`;
        return { method, path, headers, body: bytes, [fc.toStringMethod]: () => summary };
      }),
  );
  return fc.array(request, { minLength: BATCH, maxLength: BATCH });
}

describe('fuzzing every route', () => {
  const capture = routeCapture();
  let t: TestInstance;
  let deal: Deal;
  const fuzzers: Party[] = [];
  const mine: Record<string, string> = {};
  beforeAll(async () => {
    t = await startTestInstance({
      extraRoutes: capture.extraRoutes,
      env: { BOURSE_MAX_LONG_POLL_SECONDS: '1', BOURSE_BODY_LIMIT: String(BODY_LIMIT) },
    });
    deal = await dealViaApi(t);
    // The fuzzing parties: a stranger, and two with objects of their own so requests also get past existence checks.
    const own = await dealViaApi(t);
    fuzzers.push(await newParty(t), own.requestor, own.provider);
    Object.assign(mine, { demand: own.demandId, offer: own.offerId, draft: own.draftId, agreement: own.agreementId });
    Object.assign(mine, { initial: own.initialId, counter: own.counterId });
  });
  afterAll(() => t.close());

  it('finds no 5xx, no non-JSON error, and changes nothing the other parties see', async () => {
    const before = await snapshot(t, deal);
    const tokens = fuzzers.map((party) => party.token);
    let sent = 0;
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(arbitraries(capture.routes(), deal, mine, tokens), async (batch) => {
        const answers = await Promise.all(batch.map((request) => sendRaw(t.url, request)));
        sent += batch.length;
        for (const answer of answers) statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
        const problems = batch
          .map((request, i) => ({
            request: `${request.method} ${request.path}`,
            problem: problemWith(request, answers[i]),
          }))
          .filter((p) => p.problem !== undefined);
        expect(problems).toEqual([]);
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );
    expect(sent).toBe(RUNS * BATCH);
    if (process.env.FUZZ_SEED) console.log(Object.fromEntries(statuses));
    // The requests reached past parsing and authentication, not only the first refusals.
    for (const status of [200, 400, 401, 404, 405, 413]) expect([status, statuses.has(status)]).toEqual([status, true]);
    expect(await snapshot(t, deal)).toEqual(before);
    expect((await t.request.get('/health')).status).toBe(200);
  }, 90_000); // about 7 s alone; the margin is for a machine busy with the rest of the suite
});
