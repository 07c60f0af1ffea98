import type { Response } from 'supertest';
import { AGREEMENT_ACTIONS, type Action } from '../../../src/market/agreements/record';
import { startTestInstance, type TestInstance } from '../../support/instance';
import { agreement, inSeconds, type Client } from './fixtures';

/**
 * Every cell of the agreement call × state table (yagna's answers), each on a fresh agreement brought into
 * its state through the API, with the state afterwards (changed on success, unchanged on refusal).
 */

type State = 'Proposal' | 'Pending' | 'Approved' | 'Cancelled' | 'Rejected' | 'Expired' | 'Terminated';
type Call = 'confirm' | 'wait' | 'cancel' | 'approve' | 'reject' | 'terminate (R)' | 'terminate (P)' | 'reason';

interface Expect {
  status: number;
  /** Exact message, or a fragment of it. */
  message?: string | RegExp;
  /** The state afterwards when it changes. */
  then?: State;
}

const refused = (from: string, to: string): Expect => ({
  status: 410,
  message: `Error: Can't update Agreement state from ${from} to ${to}.`,
});

const TABLE: Record<Call, Record<State, Expect>> = {
  confirm: {
    Proposal: { status: 204, then: 'Pending' },
    Pending: refused('Pending', 'Pending'),
    Approved: refused('Approved', 'Pending'),
    Cancelled: refused('Cancelled', 'Pending'),
    Rejected: refused('Rejected', 'Pending'),
    Expired: refused('Expired', 'Pending'),
    Terminated: refused('Terminated', 'Pending'),
  },
  wait: {
    Proposal: { status: 400, message: 'should be confirmed, before waiting for approval.' },
    Pending: { status: 408, message: /^Timeout while waiting for Agreement \[R-[0-9a-f]{64}\] approval\.$/ },
    Approved: { status: 204 },
    Cancelled: { status: 410, message: 'Cancelled' },
    Rejected: { status: 410, message: 'Rejected' },
    Expired: { status: 410, message: /^Agreement \[R-[0-9a-f]{64}\] expired\.$/ },
    Terminated: { status: 400, message: /^Agreement \[R-[0-9a-f]{64}\] terminated\.$/ },
  },
  cancel: {
    Proposal: { status: 204, then: 'Cancelled' },
    Pending: { status: 204, then: 'Cancelled' },
    Approved: refused('Approved', 'Cancelled'),
    Cancelled: refused('Cancelled', 'Cancelled'),
    Rejected: refused('Rejected', 'Cancelled'),
    Expired: refused('Expired', 'Cancelled'),
    Terminated: refused('Terminated', 'Cancelled'),
  },
  approve: {
    Proposal: { status: 404, message: 'not found' },
    Pending: { status: 204, then: 'Approved' },
    Approved: refused('Approved', 'Approving'),
    Cancelled: { status: 410, message: 'Cancelled' },
    Rejected: refused('Rejected', 'Approving'),
    Expired: refused('Expired', 'Approving'),
    Terminated: refused('Terminated', 'Approving'),
  },
  reject: {
    Proposal: { status: 404, message: 'not found' },
    Pending: { status: 204, then: 'Rejected' },
    Approved: refused('Approved', 'Rejected'),
    Cancelled: refused('Cancelled', 'Rejected'),
    Rejected: refused('Rejected', 'Rejected'),
    Expired: refused('Expired', 'Rejected'),
    Terminated: refused('Terminated', 'Rejected'),
  },
  'terminate (R)': {
    Proposal: { status: 409, message: "Error: Can't update Agreement state from Proposal to Terminated." },
    Pending: refused('Pending', 'Terminated'),
    Approved: { status: 204, then: 'Terminated' },
    Cancelled: refused('Cancelled', 'Terminated'),
    Rejected: refused('Rejected', 'Terminated'),
    Expired: refused('Expired', 'Terminated'),
    Terminated: refused('Terminated', 'Terminated'),
  },
  'terminate (P)': {
    Proposal: { status: 404, message: 'not found' },
    Pending: refused('Pending', 'Terminated'),
    Approved: { status: 204, then: 'Terminated' },
    Cancelled: refused('Cancelled', 'Terminated'),
    Rejected: refused('Rejected', 'Terminated'),
    Expired: refused('Expired', 'Terminated'),
    Terminated: refused('Terminated', 'Terminated'),
  },
  reason: {
    Proposal: { status: 400, message: 'not terminated yet.' },
    Pending: { status: 400, message: 'not terminated yet.' },
    Approved: { status: 400, message: 'not terminated yet.' },
    Cancelled: { status: 400, message: 'not terminated yet.' },
    Rejected: { status: 400, message: 'not terminated yet.' },
    Expired: { status: 400, message: 'not terminated yet.' },
    Terminated: { status: 200 },
  },
};

const CALLS: Record<Call, (r: Client, p: Client, id: string) => Promise<Response>> = {
  confirm: async (r, _p, id) => r.confirm(id),
  wait: async (r, _p, id) => r.wait(id, 0),
  cancel: async (r, _p, id) => r.cancel(id, { message: 'cancelled by the table' }),
  approve: async (_r, p, id) => p.approve(id),
  reject: async (_r, p, id) => p.reject(id, { message: 'rejected by the table' }),
  'terminate (R)': async (r, _p, id) => r.terminate(id, { message: 'done' }),
  'terminate (P)': async (_r, p, id) => p.terminate(id, { message: 'done' }),
  reason: async (r, _p, id) => r.reasonGet(id),
};

let t: TestInstance;
beforeAll(async () => {
  t = await startTestInstance();
});
afterAll(() => t.close());

function ok(res: Response, status: number): void {
  if (res.status !== status) throw new Error(`expected ${status}, got ${res.status} ${res.text}`);
}

/** A fresh agreement in `state`, reached through the API. */
async function inState(state: State): Promise<{ id: string; requestor: Client; provider: Client }> {
  // Expired is reached from Pending (so the provider knows it): a short validTo, then the wait that ends with it.
  const a = await agreement(t, state === 'Expired' ? inSeconds(1.5) : undefined);
  const { id, requestor, provider } = a;
  if (state === 'Proposal') return a;
  ok(await requestor.confirm(id, 'r-session'), 204);
  switch (state) {
    case 'Pending':
      break;
    case 'Expired':
      ok(await requestor.wait(id, 10), 410);
      break;
    case 'Cancelled':
      ok(await requestor.cancel(id, null), 204);
      break;
    case 'Rejected':
      ok(await provider.reject(id, null), 204);
      break;
    default:
      ok(await provider.approve(id, 'p-session'), 204);
      if (state === 'Terminated') ok(await requestor.terminate(id, { message: 'setup' }), 204);
  }
  expect((await requestor.get(id)).body.state).toBe(state);
  return a;
}

const cells = Object.entries(TABLE).flatMap(([call, row]) =>
  Object.entries(row).map(([state, expected]) => [call as Call, state as State, expected] as const),
);

describe('agreement call × state table', () => {
  it.each(cells)('%s on %s', async (call, state, expected) => {
    const { id, requestor, provider } = await inState(state);
    const res = await CALLS[call](requestor, provider, id);
    expect(res.status).toBe(expected.status);
    if (expected.message instanceof RegExp) expect(res.body.message).toMatch(expected.message);
    else if (expected.message !== undefined && expected.status !== 204) {
      if (expected.message === 'Cancelled' || expected.message === 'Rejected')
        expect(res.body).toEqual({ message: expected.message });
      else expect(res.body.message).toContain(expected.message);
    }
    if (expected.status >= 400) expect(res.type).toBe('application/json');
    expect((await requestor.get(id)).body.state).toBe(expected.then ?? state);
  });
});

describe("the implementation's one state table agrees with the specification above", () => {
  const SPEC_CALLS: Record<Exclude<Action, 'read'>, Call[]> = {
    confirm: ['confirm'],
    approve: ['approve'],
    reject: ['reject'],
    cancel: ['cancel'],
    terminate: ['terminate (R)', 'terminate (P)'],
  };
  it.each(Object.entries(SPEC_CALLS))(
    '%s: allowed from exactly the 204 cells, moving to their state',
    (action, calls) => {
      const spec = AGREEMENT_ACTIONS[action as Exclude<Action, 'read'>];
      for (const call of calls) {
        const allowed = Object.entries(TABLE[call]).filter(([, cell]) => cell.status === 204);
        expect([...spec.from].sort()).toEqual(allowed.map(([state]) => state).sort());
        for (const [, cell] of allowed) expect(cell.then).toBe(spec.to);
      }
    },
  );
});
