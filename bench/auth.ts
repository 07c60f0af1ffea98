/**
 * Cost of authenticating a compute-style request: per-request latency over HTTP of a route guarded by
 * oceanAuth with an auth token, and with a signed request (signature recovery + nonce Lua script), next to
 * the same route unguarded, and with an app key (an opaque key looked up in Redis on every request), measured in
 * the same run against one instance. Also the Market API's token check on an ordinary request and on a long-poll
 * (whose token revocation is watched: one more channel in its SUBSCRIBE and one EXISTS), next to the same long-poll
 * without authentication.
 */
import { Wallet } from 'ethers';
import pino from 'pino';
import { Authenticator } from '../src/auth/authenticator';
import { marketAuth, oceanAuth } from '../src/http/auth';
import { TokenService } from '../src/auth/tokens';
import { signOceanMessage } from '../src/auth/signatures';
import { loadConfig } from '../src/kernel/config';
import type Router from '@koa/router';
import type { Core } from '../src/kernel/core';
import { ApiInstance } from '../src/main/api';
import { EmbeddedRedis } from '../src/store/embeddedRedis';
import { type Figures, fmt, nowMs, percentile, round, table } from './support';

const SAMPLES = 500;

function benchRoutes(router: Router, core: Core): void {
  const auth = new Authenticator(core);
  const ok = (ctx: { body: unknown }): void => {
    ctx.body = { ok: true };
  };
  router.get('/bench/open', ok);
  router.get('/bench/guarded', oceanAuth(auth, { command: 'bench' }), ok);
  const market = marketAuth(new TokenService(core));
  // A long-poll that finds its answer at the first read: register (SUBSCRIBE), read, release.
  const poll = async (ctx: { body: unknown; state: { abort?: AbortSignal } }): Promise<void> => {
    ctx.body = await core.waiter.poll(['bench-key'], 1000, ctx.state.abort, async () => ({ ok: true }));
  };
  router.get('/bench/market', market, ok);
  router.get('/bench/poll', poll);
  router.get('/bench/market-poll', market, poll);
}

async function timeRequests(urls: string[], headers: Record<string, string> = {}): Promise<number[]> {
  const samples: number[] = [];
  for (const url of urls) {
    const t0 = nowMs();
    const res = await fetch(url, { headers });
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`${url} answered ${res.status}`);
    samples.push(nowMs() - t0);
  }
  return samples;
}

export async function run(): Promise<Figures> {
  const redis = await EmbeddedRedis.start();
  const config = loadConfig({
    BOURSE_KEY_PREFIX: 'bench:',
    BOURSE_AUTH_SECRET: 'bench-secret-bench-secret-bench-secret',
    LOG_LEVEL: 'silent',
  });
  const instance = await ApiInstance.create({
    config,
    redisUrl: redis.url,
    log: pino({ level: 'silent' }),
    extraRoutes: benchRoutes,
  });
  try {
    const base = await instance.listen(0, '127.0.0.1');
    const wallet = Wallet.createRandom();
    const token = await new Authenticator(instance.core).tokens.issue(
      wallet.address,
      Math.floor(Date.now() / 1000) + 3600,
    );
    // Signatures are made before timing: the client's cost is not the service's.
    const signed: string[] = [];
    for (let nonce = 1; nonce <= SAMPLES; nonce++) {
      const signature = await signOceanMessage(wallet, `${wallet.address}${nonce}bench`);
      signed.push(`${base}/bench/guarded?address=${wallet.address}&nonce=${nonce}&signature=${signature}`);
    }
    const same = (path: string): string[] => Array.from({ length: SAMPLES }, () => `${base}${path}`);
    await timeRequests(same('/bench/open')); // warm-up
    const open = await timeRequests(same('/bench/open'));
    const byToken = await timeRequests(same('/bench/guarded'), { Authorization: `Bearer ${token}` });
    const bySignature = await timeRequests(signed);
    const bearer = { Authorization: `Bearer ${token}` };
    const market = await timeRequests(same('/bench/market'), bearer);
    const poll = await timeRequests(same('/bench/poll'));
    const marketPoll = await timeRequests(same('/bench/market-poll'), bearer);
    const appKey = await new Authenticator(instance.core).tokens.appKeys.create(wallet.address, 'bench');
    const byAppKey = await timeRequests(same('/bench/guarded'), { Authorization: `Bearer ${appKey.key}` });
    const row = (measure: string, s: number[]) => ({
      measure,
      p50: fmt(percentile(s, 50)),
      p99: fmt(percentile(s, 99)),
      'p50 / open': (percentile(s, 50) / percentile(open, 50)).toFixed(2),
    });
    table([
      row('unguarded route', open),
      row('auth token (HS256 + revocation EXISTS)', byToken),
      row('signed request (ecrecover + nonce script)', bySignature),
      row('market token, ordinary request', market),
      row('long-poll answered at once, no auth', poll),
      row('market token + long-poll (revocation watched)', marketPoll),
      row('app key (one HMGET, no cache: drops apply at once)', byAppKey),
    ]);
    const vsOpen = (s: number[]) => round(percentile(s, 50) / percentile(open, 50));
    return {
      openP50Ms: round(percentile(open, 50)),
      tokenVsOpen: vsOpen(byToken),
      signatureVsOpen: vsOpen(bySignature),
      marketTokenVsOpen: vsOpen(market),
      longPollVsOpen: vsOpen(poll),
      marketLongPollVsOpen: vsOpen(marketPoll),
      appKeyVsOpen: vsOpen(byAppKey),
    };
  } finally {
    await instance.close(0);
    await redis.stop();
  }
}
