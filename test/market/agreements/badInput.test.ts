import { NotFound } from '../../../src/kernel/errors';
import { newParty } from '../../support/identities';
import { startTestInstance, type TestInstance } from '../../support/instance';
import { agreement, as, client, negotiation, patchProposal, type Negotiation } from './fixtures';

/** Bad input and strangers: each a 4xx with a JSON message, and nothing changes. */

let t: TestInstance;
beforeAll(async () => {
  t = await startTestInstance();
});
afterAll(() => t.close());

async function proposalState(hex: string): Promise<Record<string, string>> {
  const { redis, keys } = t.instance.core;
  const [state, agreementId, counterId] = await redis.hmget(keys.proposal(hex), 'state', 'agreementId', 'counterId');
  return { state: state!, agreementId: agreementId!, counterId: counterId! };
}

/** Asserts a refused createAgreement changed neither the proposals nor the requestor's agreements. */
async function refusedCreate(n: Negotiation, body: unknown, status: number, message: string | RegExp): Promise<void> {
  const before = await Promise.all([n.initialHex, n.requestorHex, n.draftHex].map(proposalState));
  const res = await as(n.requestor)(t.request.post('/market-api/v1/agreements')).send(body as object);
  expect(res.status).toBe(status);
  expect(res.type).toBe('application/json');
  if (typeof message === 'string') expect(res.body.message).toBe(message);
  else expect(res.body.message).toMatch(message);
  expect(await Promise.all([n.initialHex, n.requestorHex, n.draftHex].map(proposalState))).toEqual(before);
  expect((await client(t, n.requestor).list()).body).toEqual([]);
}

const validTo = (): string => new Date(Date.now() + 3_600_000).toISOString();

describe('createAgreement refusals', () => {
  it('from an Initial proposal', async () => {
    const n = await negotiation(t);
    await patchProposal(t, n.initialHex, { counterId: '' });
    const id = `R-${n.initialHex}`;
    await refusedCreate(
      n,
      { proposalId: id, validTo: validTo() },
      400,
      `Can't create Agreement for Proposal [${id}]. No negotiation with Provider took place. (You should counter Proposal at least one time)`,
    );
  });

  it("from the requestor's own proposal", async () => {
    const n = await negotiation(t);
    const id = `R-${n.requestorHex}`;
    await refusedCreate(
      n,
      { proposalId: id, validTo: validTo() },
      400,
      `Can't create Agreement for an own Proposal [${id}]. You can promote only provider's Proposals to Agreement.`,
    );
  });

  it('from a rejected proposal', async () => {
    const n = await negotiation(t);
    await patchProposal(t, n.draftHex, { state: 'Rejected' });
    const id = `R-${n.draftHex}`;
    await refusedCreate(
      n,
      { proposalId: id, validTo: validTo() },
      400,
      `Can't create Agreement for rejected Proposal [${id}].`,
    );
  });

  it('from an already countered proposal', async () => {
    const n = await negotiation(t);
    await patchProposal(t, n.draftHex, { counterId: 'f'.repeat(64) });
    const id = `R-${n.draftHex}`;
    await refusedCreate(
      n,
      { proposalId: id, validTo: validTo() },
      400,
      `Can't create Agreement for already countered Proposal [${id}].`,
    );
  });

  it("from an unknown proposal, a provider-side id, or someone else's negotiation", async () => {
    const n = await negotiation(t);
    const other = await negotiation(t);
    for (const id of [`R-${'a'.repeat(64)}`, `P-${n.draftHex}`, `R-${other.draftHex}`]) {
      await refusedCreate(
        n,
        { proposalId: id, validTo: validTo() },
        400,
        `Can't create Agreement for Proposal [${id}]. Proposal [${id}] not found.`,
      );
    }
  });

  it('with a malformed proposal id, a validTo that is not a date, or a missing field', async () => {
    const n = await negotiation(t);
    const proposalId = `R-${n.draftHex}`;
    await refusedCreate(
      n,
      { proposalId: 'R-xyz', validTo: validTo() },
      400,
      'Invalid Agreement id. Id [R-xyz] has invalid format.',
    );
    await refusedCreate(n, { proposalId, validTo: 'tomorrow' }, 400, /validTo/);
    await refusedCreate(n, { proposalId, validTo: '2025-13-45T99:00:00Z' }, 400, /validTo/);
    await refusedCreate(n, { proposalId, validTo: 1_700_000_000 }, 400, /validTo/);
    await refusedCreate(n, { proposalId }, 400, /validTo/);
    await refusedCreate(n, { validTo: validTo() }, 400, /proposalId/);
    await refusedCreate(n, ['not', 'an', 'object'], 400, /Invalid request body/);
  });

  it('a second agreement from the same proposal is 409, also when racing', async () => {
    const n = await negotiation(t);
    const body = { proposalId: `R-${n.draftHex}`, validTo: validTo() };
    const post = () =>
      as(n.requestor)(t.request.post('/market-api/v1/agreements'))
        .send(body)
        .then((r) => r);
    const results = await Promise.all([post(), post(), post()]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 409, 409]);
    const conflict = results.find((r) => r.status === 409)!;
    expect(conflict.body.message).toBe(`Can't create second Agreement for Proposal [R-${n.draftHex}].`);
    const created = results.find((r) => r.status === 200)!.body as string;
    expect(await proposalState(n.draftHex)).toEqual({ state: 'Accepted', agreementId: created, counterId: '' });
    expect((await client(t, n.requestor).list()).body).toHaveLength(1);
  });
});

describe('strangers and malformed calls', () => {
  it('a stranger gets 404 for every call and nothing changes', async () => {
    const x = await agreement(t);
    expect((await x.requestor.confirm(x.id)).status).toBe(204);
    const stranger = client(t, await newParty(t));
    const calls = [
      stranger.get(x.id),
      stranger.confirm(x.id),
      stranger.wait(x.id, 0),
      stranger.approve(x.id),
      stranger.reject(x.id, null),
      stranger.cancel(x.id, null),
      stranger.terminate(x.id, { message: 'mine now' }),
      stranger.reasonGet(x.id),
      stranger.reasonPost(x.id),
    ];
    for (const call of calls) {
      const res = await call;
      expect(res.status).toBe(404);
      expect(res.body.message).toMatch(/^Agreement \[(R-|P-)?[0-9a-f]{64}\] not found\.$/);
    }
    expect((await stranger.list()).body).toEqual([]);
    expect((await stranger.events()).body).toEqual([]);
    expect((await x.requestor.get(x.id)).body.state).toBe('Pending');
    // Roles are enforced too: the provider cannot confirm or cancel, the requestor cannot approve or reject.
    expect((await x.provider.cancel(x.id, null)).status).toBe(404);
    expect((await x.requestor.approve(x.id)).status).toBe(404);
    expect((await x.requestor.reject(x.id, null)).status).toBe(404);
    expect((await x.provider.wait(x.id, 0)).status).toBe(404);
    expect((await x.requestor.get(x.id)).body.state).toBe('Pending');
    expect((await x.requestor.events()).body).toEqual([]);
  });

  it("a stranger's reason is not even read: one too deep to serialise is 404, never a 500", async () => {
    const x = await agreement(t);
    expect((await x.requestor.confirm(x.id)).status).toBe(204);
    const stranger = await newParty(t);
    const root: Record<string, unknown> = { message: 'mine' };
    let level = root;
    for (let i = 0; i < 20_000; i++) level = (level.a = {}) as Record<string, unknown>;
    expect(() => JSON.stringify(root)).toThrow(RangeError); // what serialising it first would have hit
    const { agreements } = t.instance.services;
    const reason = root as { message: string };
    for (const call of [agreements.reject, agreements.cancel, agreements.terminate]) {
      await expect(call.call(agreements, stranger.address, x.id, reason)).rejects.toBeInstanceOf(NotFound);
    }
    expect((await x.requestor.get(x.id)).body.state).toBe('Pending');
  });

  it('rejects malformed ids, reason bodies and query parameters with 400 and changes nothing', async () => {
    const x = await agreement(t);
    expect((await x.requestor.confirm(x.id)).status).toBe(204);
    const cases = [
      [x.requestor.get('not-an-id'), 'Invalid Agreement id. Id [not-an-id] has invalid format.'],
      [x.provider.reject(x.id, { reason: 'no message' }), /message/],
      [x.provider.reject(x.id, { message: 42 }), /message/],
      [x.requestor.cancel(x.id, 'just a string' as unknown as object), /Invalid request body/],
      [x.requestor.wait(x.id, 'soon' as unknown as number), /timeout/],
      [x.requestor.events({ maxEvents: 0 }), "Invalid maxEvents '0', should be between 1 and 100."],
      [x.requestor.events({ maxEvents: 101 }), "Invalid maxEvents '101', should be between 1 and 100."],
      [x.requestor.events({ afterTimestamp: 'yesterday' }), /afterTimestamp/],
      [x.requestor.list({ state: 'Bogus' }), /Bogus/],
      [x.requestor.list({ afterDate: '2024-02-30' }), /afterDate/],
    ] as const;
    for (const [call, message] of cases) {
      const res = await call;
      expect(res.status).toBe(400);
      expect(res.type).toBe('application/json');
      if (typeof message === 'string') expect(res.body.message).toBe(message);
      else expect(res.body.message).toMatch(message);
    }
    expect((await x.requestor.get(x.id)).body.state).toBe('Pending');
    expect((await x.requestor.events()).body).toEqual([]);
    // A reason-less cancel (empty body) is accepted as null.
    expect((await x.requestor.cancel(x.id)).status).toBe(204);
    expect((await x.requestor.events()).body).toEqual([
      { eventDate: expect.any(String), agreementId: x.id, eventType: 'AgreementCancelledEvent' },
    ]);
  });
});
