import type { Response, Test } from 'supertest';
import { decodeHandoff } from '../../../src/market/agreements/handoff';
import type { AgreementEvent } from '../../support/marketEvents';
import { twoInstancesOfOneMarket, type TestInstance } from '../../support/instance';
import { agreement, client, inSeconds, WORKLOAD_DEMAND_PROPERTIES, type Client } from './fixtures';

/**
 * Two instances of one market (same Redis, same prefix) racing transitions on the same agreement,
 * 100 rounds each: exactly one outcome, and state, events and the compute hand-off agree with it on both sides.
 */

const ROUNDS = 100;
const CONCURRENT_ROUNDS = 10;

let a: TestInstance;
let b: TestInstance;
twoInstancesOfOneMarket((first, second) => ([a, b] = [first, second]));

const send = (test: Test): Promise<Response> => test.then((res) => res);

interface Round {
  id: string;
  /** The parties on instance A and on instance B. */
  requestorA: Client;
  providerA: Client;
  requestorB: Client;
  providerB: Client;
}

/** A fresh pair of parties with a Pending agreement (so each round's logs hold only its own events). */
async function pendingRound(validInSeconds?: number): Promise<Round & { validTo: string }> {
  let validTo = inSeconds(3600);
  // The demand declares a workload, so an approval is handed off to compute (once, whoever wins).
  const x = await agreement(
    a,
    () => (validTo = inSeconds(validInSeconds ?? 3600)),
    undefined,
    WORKLOAD_DEMAND_PROPERTIES,
  );
  const confirm = await x.requestor.confirm(x.id);
  if (confirm.status !== 204) throw new Error(`confirm failed: ${confirm.status} ${confirm.text}`);
  return {
    id: x.id,
    validTo,
    requestorA: x.requestor,
    providerA: x.provider,
    requestorB: client(b, x.n.requestor),
    providerB: client(b, x.n.provider),
  };
}

const TERMINAL_EVENT: Record<string, string> = {
  Approved: 'AgreementApprovedEvent',
  Cancelled: 'AgreementCancelledEvent',
  Rejected: 'AgreementRejectedEvent',
};

/**
 * The agreement is in `state` as seen by both parties on both instances, and each party has exactly the matching
 * event.
 */
async function consistent(round: Round, state: string): Promise<void> {
  for (const party of [round.requestorA, round.requestorB, round.providerA, round.providerB]) {
    expect((await party.get(round.id)).body.state).toBe(state);
  }
  const expected = TERMINAL_EVENT[state] ? [TERMINAL_EVENT[state]] : [];
  for (const party of [round.requestorB, round.providerA]) {
    const events = (await party.events()).body as AgreementEvent[];
    expect(events.map((e) => e.eventType)).toEqual(expected);
    for (const e of events) expect(e.agreementId).toBe(round.id);
  }
}

async function inBatches(run: (i: number) => Promise<void>): Promise<void> {
  for (let i = 0; i < ROUNDS; i += CONCURRENT_ROUNDS) {
    await Promise.all(Array.from({ length: Math.min(CONCURRENT_ROUNDS, ROUNDS - i) }, (_, k) => run(i + k)));
  }
}

/** How many times each agreement id was handed to the compute dispatcher. */
async function handedOff(): Promise<Map<string, number>> {
  const { redis, keys } = a.instance.core;
  const entries = await redis.xrange(keys.approvedAgreements(), '-', '+');
  const counts = new Map<string, number>();
  for (const [, fields] of entries) {
    const id = decodeHandoff(fields)?.agreementId ?? 'malformed';
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

const approvedIds: string[] = [];
const notApprovedIds: string[] = [];

/** Races `approve` on one instance against `other` on the other; exactly one of them wins. */
async function raceApprove(
  other: (r: Round) => Test,
  otherState: string,
  otherRefusal: string,
): Promise<Record<string, number>> {
  const wins: Record<string, number> = { approve: 0, other: 0 };
  await inBatches(async (i) => {
    const round = await pendingRound();
    const approver = i % 2 === 0 ? round.providerA : round.providerB;
    const [approve, rival] = await Promise.all([send(approver.approve(round.id)), send(other(round))]);
    expect([approve.status, rival.status].sort()).toEqual([204, 410]);
    if (approve.status === 204) {
      wins.approve++;
      expect(rival.body.message).toBe(
        `Agreement [${otherRefusal}-${round.id}]. Error: Can't update Agreement state from Approved to ${otherState === 'Cancelled' ? 'Cancelled' : 'Rejected'}.`,
      );
      await consistent(round, 'Approved');
      approvedIds.push(round.id);
    } else {
      wins.other++;
      expect(approve.body).toEqual(
        otherState === 'Cancelled'
          ? { message: 'Cancelled' }
          : { message: `Agreement [P-${round.id}]. Error: Can't update Agreement state from Rejected to Approving.` },
      );
      await consistent(round, otherState);
      notApprovedIds.push(round.id);
    }
  });
  return wins;
}

it('approve vs cancel: exactly one outcome, 100 rounds', async () => {
  const wins = await raceApprove((r) => r.requestorB.cancel(r.id, { message: 'changed my mind' }), 'Cancelled', 'R');
  expect(wins.approve + wins.other).toBe(ROUNDS);
});

it('approve vs reject: exactly one outcome, 100 rounds', async () => {
  const wins = await raceApprove((r) => r.providerB.reject(r.id, { message: 'no' }), 'Rejected', 'P');
  expect(wins.approve + wins.other).toBe(ROUNDS);
});

it('two approves on two instances: exactly one wins, 100 rounds', async () => {
  await inBatches(async () => {
    const round = await pendingRound();
    const results = await Promise.all([
      send(round.providerA.approve(round.id, 'a')),
      send(round.providerB.approve(round.id, 'b')),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([204, 410]);
    const loser = results.find((r) => r.status === 410)!;
    expect(loser.body.message).toBe(
      `Agreement [P-${round.id}]. Error: Can't update Agreement state from Approved to Approving.`,
    );
    await consistent(round, 'Approved');
    // The winner's session is the one recorded.
    const winnerSession = results[0].status === 204 ? 'a' : 'b';
    expect((await round.providerA.get(round.id)).body.appSessionId).toBe(winnerSession);
    approvedIds.push(round.id);
  });
});

it('approve vs expiry at validTo: exactly one outcome, 100 rounds', async () => {
  const outcomes = { approved: 0, expired: 0 };
  await inBatches(async (i) => {
    const round = await pendingRound(1.5);
    // Aim the approve at validTo (± 20 ms), while both instances' sweepers race to expire it.
    const target = Date.parse(round.validTo) + ((i % 41) - 20);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, target - Date.now())));
    const approve = await (i % 2 === 0 ? round.providerA : round.providerB).approve(round.id);
    if (approve.status === 204) {
      outcomes.approved++;
      await consistent(round, 'Approved');
      approvedIds.push(round.id);
    } else {
      expect(approve.status).toBe(410);
      expect(approve.body.message).toBe(
        `Agreement [P-${round.id}]. Error: Can't update Agreement state from Expired to Approving.`,
      );
      outcomes.expired++;
      await consistent(round, 'Expired');
      notApprovedIds.push(round.id);
    }
  });
  expect(outcomes.approved + outcomes.expired).toBe(ROUNDS);
});

it('handed exactly the approved agreements to the compute dispatcher, once each', async () => {
  const counts = await handedOff();
  for (const id of approvedIds) expect(counts.get(id)).toBe(1);
  for (const id of notApprovedIds) expect(counts.get(id)).toBeUndefined();
  expect([...counts.values()].reduce((x, y) => x + y, 0)).toBe(approvedIds.length);
});
