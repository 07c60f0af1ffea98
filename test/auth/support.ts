import type { Response } from 'supertest';
import { Authenticator } from '../../src/auth/authenticator';
import { marketAuth, oceanAuth } from '../../src/http/auth';
import type Router from '@koa/router';
import type { Core } from '../../src/kernel/core';
import { startTestInstance, TestInstance, TestInstanceOptions } from '../support/instance';

/** Tiny routes guarded the way the Market API (marketAuth) and the compute routes (oceanAuth) guard theirs. */
function protectedRoutes(router: Router, core: Core): void {
  const auth = new Authenticator(core);
  const whoami = (ctx: { state: Record<string, unknown>; body: unknown }): void => {
    ctx.body = { identity: ctx.state.identity ?? null };
  };
  router.get('/test/market', marketAuth(auth.tokens), whoami);
  // Provider-style layout of this route: consumerAddress + jobId + nonce.
  const compute = oceanAuth(auth, {
    command: 'testCommand',
    message: (ctx, s) => s.address + String(ctx.query.jobId ?? '') + s.nonce,
  });
  router.get('/api/test/compute', compute, whoami);
  router.post('/api/test/compute', compute, whoami);
  router.get('/api/test/public', oceanAuth(auth, { command: 'testCommand', required: false }), whoami);
}

/** An instance with the auth endpoints and the protected test routes. */
export function startAuthInstance(options: TestInstanceOptions = {}): Promise<TestInstance> {
  return startTestInstance({ ...options, extraRoutes: protectedRoutes });
}

export async function storedNonce(t: TestInstance, address: string): Promise<number> {
  const res = await t.request.get('/api/services/nonce').query({ userAddress: address });
  expect(res.status).toBe(200);
  return res.body.nonce as number;
}

/** An auth failure must not tell who signed or who was expected (reference §2.7, §7 "Avoid"). */
export function expectNoAddressIn(res: Response, ...addresses: string[]): void {
  const text = (res.text ?? '').toLowerCase();
  for (const address of addresses) expect(text).not.toContain(address.toLowerCase().replace(/^0x/, ''));
}

/** Ocean-style error body: the same text under message and error. */
export function expectOceanError(res: Response, status: number, message: RegExp): void {
  expect(res.status).toBe(status);
  expect(res.body.message).toMatch(message);
  expect(res.body.error).toBe(res.body.message);
}
