import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type Koa from 'koa';
import { TokenService } from '../auth/tokens';
import type { Core } from '../kernel/core';
import { newSubscriptionId } from '../market/ids';

const MARKET = '/market-api/v1';

/** Requests that change nothing: a throwaway identity asks about things that do not exist, or sends a bad demand. */
function harmlessRequests(): Array<{ method: string; path: string; body?: unknown }> {
  const subscription = newSubscriptionId([randomBytes(16).toString('hex')]);
  const proposal = `R-${randomBytes(32).toString('hex')}`;
  return [
    { method: 'POST', path: `${MARKET}/demands`, body: { properties: { warm: 'up' }, constraints: '(warm=' } },
    { method: 'GET', path: `${MARKET}/demands/${subscription}/events?timeout=0&maxEvents=1` },
    {
      method: 'POST',
      path: `${MARKET}/demands/${subscription}/proposals/${proposal}`,
      body: { properties: {}, constraints: '()' },
    },
    { method: 'POST', path: `${MARKET}/agreements`, body: { proposalId: proposal, validTo: new Date().toISOString() } },
  ];
}

/** Sends one request and reads its answer; resolves with the status. */
function send(url: string, token: string, method: string, body?: unknown): Promise<number> {
  return new Promise((resolve, reject) => {
    // Named in the request log, where these lines would otherwise look like a client's mistakes.
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, 'x-request-id': 'warm-up' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const req = http.request(url, { method, headers, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

/**
 * V8 compiles a function on its first call, and the body parser loads its decoder tables on first use: an
 * instance's first market request took ~15 ms longer than the next ones (Koa, the router, auth, the body parser,
 * validation, error mapping all ran for the first time). An instance pays that before it opens its port, by serving
 * itself a few harmless requests twice on a loopback port of its own; they are not counted in its metrics.
 * Returns their statuses.
 */
export async function warmUp(app: Koa, core: Core): Promise<number[]> {
  const server = http.createServer(app.callback());
  const statuses: number[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    const { port } = server.address() as AddressInfo;
    const token = await new TokenService(core).issue(
      `0x${randomBytes(20).toString('hex')}`,
      Math.floor(Date.now() / 1000) + 60,
    );
    for (let round = 0; round < 2; round++)
      for (const { method, path, body } of harmlessRequests())
        statuses.push(await send(`http://127.0.0.1:${port}${path}`, token, method, body));
    // Each is refused (4xx) without touching state; anything else means a request above no longer fits its purpose.
    if (statuses.some((status) => status < 400 || status >= 500))
      core.log.warn({ statuses }, 'warm-up requests were not refused as expected');
  } catch (err) {
    // Not a reason to refuse to start (e.g. no IPv4 loopback): the first requests are only slower.
    core.log.warn({ err }, 'warm-up requests failed (the first requests will be slower)');
  } finally {
    if (server.listening) await new Promise((resolve) => server.close(resolve));
    core.metrics.httpRequests.reset();
    core.metrics.httpDuration.reset();
  }
  return statuses;
}
