import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { acknowledgementDelayMs } from '../../../src/market/negotiation/acknowledgements';
import { freePort } from '../../../src/store/embeddedRedis';
import { newParty, type Party } from '../../support/identities';
import {
  startTestInstance,
  TEST_AUTH_SECRET,
  testPrefix,
  testRedisUrl,
  type TestInstance,
} from '../../support/instance';
import { MARKET_BASE, marketClient, uniqueTag } from '../../support/marketClient';
import type { NegotiationEvent } from '../../support/marketEvents';
import { until } from '../../support/wait';

/**
 * Negotiation events are delivered at least once: events a collect took stay recorded until its response was
 * written out and the subscription collects again; when the response never goes out (the instance died, the client
 * left), the events are delivered again. Responses here are made larger than what socket buffers hold (offers of
 * 3 MB each) and the raw client never reads, so a collect is provably "mid-response" when it is cut.
 */

const root = path.resolve(__dirname, '../../..');
const BLOB = 'x'.repeat(3_000_000);
const BODY_LIMIT = '4mb';

/**
 * Most bytes the kernel may buffer on one loopback connection: the receiver's window can grow to tcp_rmem's maximum
 * and the sender holds up to tcp_wmem's (32 + 4 MB on some hosts). A response that fits in them is reported written
 * although the client never read it, and no server can tell.
 */
function socketBufferBytes(): number {
  const max = (file: string, fallback: number): number => {
    try {
      return Number(fs.readFileSync(`/proc/sys/net/ipv4/${file}`, 'utf8').trim().split(/\s+/)[2]) || fallback;
    } catch {
      return fallback;
    }
  };
  return max('tcp_rmem', 8 << 20) + max('tcp_wmem', 8 << 20);
}

/** Enough offers that the events of all of them are half as large again as the buffers can hold. */
const OFFERS = Math.max(16, Math.ceil((1.5 * socketBufferBytes()) / BLOB.length));

function ready(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    http
      .get({ host: '127.0.0.1', port, path: '/ready', agent: false }, (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      })
      .on('error', () => resolve(false));
  });
}

/** Sends a collect on a raw connection that never reads its response (the response cannot finish). */
function stalledCollect(port: number, party: Party, demandId: string): net.Socket {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  socket.pause();
  socket.write(
    `GET ${MARKET_BASE}/demands/${demandId}/events?timeout=10&maxEvents=100 HTTP/1.1\r\n` +
      `Host: 127.0.0.1\r\nAuthorization: Bearer ${party.token}\r\n\r\n`,
  );
  return socket;
}

describe('negotiation events: at-least-once delivery', () => {
  const prefix = testPrefix();
  let b: TestInstance;
  beforeAll(async () => {
    b = await startTestInstance({ prefix, env: { BOURSE_BODY_LIMIT: BODY_LIMIT } });
  });
  afterAll(() => b.close());

  const queued = (demandId: string) => b.instance.core.redis.llen(b.instance.core.keys.negotiationEvents(demandId));
  const inflight = (demandId: string) =>
    b.instance.core.redis.hgetall(b.instance.core.keys.negotiationInflight(demandId));

  /** A demand with OFFERS large matching offers, every Initial proposal queued on it. */
  async function demandWithLargeEvents(): Promise<{ requestor: Party; demandId: string }> {
    const tag = uniqueTag();
    const provider = marketClient(b, await newParty(b));
    for (let i = 0; i < OFFERS; i++) await provider.subscribeOffer({ tag, i, blob: BLOB }, `(tag=${tag})`);
    const requestor = await newParty(b);
    const demandId = await marketClient(b, requestor).subscribeDemand({ tag }, `(tag=${tag})`);
    await until(async () => (await queued(demandId)) === OFFERS, 'every Initial proposal queued', 20_000);
    return { requestor, demandId };
  }

  const proposalIds = (events: NegotiationEvent[]): string[] => events.map((e) => e.proposal!.proposalId).sort();

  it('an instance killed mid-collect: its events arrive through another instance after the lease', async () => {
    const { requestor, demandId } = await demandWithLargeEvents();
    const port = await freePort();
    const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'api'], {
      cwd: root,
      env: {
        ...process.env,
        REDIS_URL: testRedisUrl(),
        BOURSE_AUTH_SECRET: TEST_AUTH_SECRET,
        BOURSE_KEY_PREFIX: prefix,
        BOURSE_BODY_LIMIT: BODY_LIMIT,
        BOURSE_NEGOTIATION_LEASE_MS: '1000',
        PORT: String(port),
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      await until(() => ready(port), 'the child instance to be ready', 20_000);
      const socket = stalledCollect(port, requestor, demandId);
      await until(async () => Object.keys(await inflight(demandId)).length === 1, 'the child to take the events');
      child.kill('SIGKILL');
      await exited;
      socket.destroy();
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    // The dead instance had taken every event and never answered: before F1 was fixed, they were gone.
    expect(await queued(demandId)).toBe(0);
    const [delivery] = Object.values(await inflight(demandId));
    expect((JSON.parse(delivery) as { proposals: string[] }).proposals).toHaveLength(OFFERS); // never acknowledged

    const res = await marketClient(b, requestor).get(`/demands/${demandId}/events?timeout=10&maxEvents=100`);
    expect(res.status).toBe(200);
    const events = res.body as NegotiationEvent[];
    expect(events).toHaveLength(OFFERS);
    expect(new Set(events.map((e) => e.eventId)).size).toBe(OFFERS);
    expect(events.every((e) => e.eventType === 'ProposalEvent' && e.proposal!.state === 'Initial')).toBe(true);
  }, 90_000);

  it('a client that leaves mid-collect: the next collect returns the events at once', async () => {
    const { requestor, demandId } = await demandWithLargeEvents();
    const port = Number(new URL(b.url).port);
    const socket = stalledCollect(port, requestor, demandId);
    await until(async () => Object.keys(await inflight(demandId)).length === 1, 'the collect to take the events');
    socket.destroy();
    // The lease (15 s by default) is longer than this collect's timeout: only the returned delivery can answer it.
    const res = await marketClient(b, requestor).get(`/demands/${demandId}/events?timeout=5&maxEvents=100`);
    expect(res.status).toBe(200);
    const events = res.body as NegotiationEvent[];
    expect(events).toHaveLength(OFFERS);
    expect(new Set(proposalIds(events)).size).toBe(OFFERS);
  }, 60_000);
});

describe('negotiation events: a full handshake delivers each event once', () => {
  let t: TestInstance;
  beforeAll(async () => {
    t = await startTestInstance({ env: { BOURSE_NEGOTIATION_LEASE_MS: '200' } });
  });
  afterAll(() => t.close());

  it('no event is delivered twice, also after the lease of every delivery has passed', async () => {
    const tag = uniqueTag();
    const requestor = marketClient(t, await newParty(t));
    const provider = marketClient(t, await newParty(t));
    const offer = { properties: { tag, 'golem.inf.mem.gib': 2 }, constraints: `(tag=${tag})` };
    const demand = { properties: { tag }, constraints: `(tag=${tag})` };
    const offerId = await provider.subscribeOffer(offer.properties, offer.constraints);
    const demandId = await requestor.subscribeDemand(demand.properties, demand.constraints);
    const seenByRequestor: NegotiationEvent[] = [];
    const seenByProvider: NegotiationEvent[] = [];

    const [initial] = await requestor.collectOffers(demandId);
    seenByRequestor.push(initial);
    const counter = await requestor.post(`/demands/${demandId}/proposals/${initial.proposal!.proposalId}`, demand);
    expect(counter.status).toBe(200);
    const [countered] = await provider.collectDemands(offerId);
    seenByProvider.push(countered);
    const draft = await provider.post(`/offers/${offerId}/proposals/${countered.proposal!.proposalId}`, offer);
    expect(draft.status).toBe(200);
    const [answered] = await requestor.collectOffers(demandId);
    seenByRequestor.push(answered);
    const created = await requestor.agreements.create(answered.proposal!.proposalId);
    expect(created.status).toBe(200);
    expect((await requestor.agreements.confirm(created.body as string)).status).toBe(204);
    const [agreementEvent] = await provider.collectDemands(offerId);
    seenByProvider.push(agreementEvent);
    expect((await provider.agreements.approve(created.body as string)).status).toBe(204);

    expect(seenByRequestor.map((e) => e.eventType)).toEqual(['ProposalEvent', 'ProposalEvent']);
    expect(seenByProvider.map((e) => e.eventType)).toEqual(['ProposalEvent', 'AgreementEvent']);
    const ids = [...seenByRequestor, ...seenByProvider].map((e) => e.eventId);
    expect(ids.every((id) => typeof id === 'string')).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    // Each collect waits five leases: a delivery that had been written out is never delivered again.
    expect((await requestor.get(`/demands/${demandId}/events?timeout=1`)).body).toEqual([]);
    expect((await provider.get(`/offers/${offerId}/events?timeout=1`)).body).toEqual([]);
    const { redis, keys } = t.instance.core;
    expect(await redis.hlen(keys.negotiationInflight(demandId))).toBe(0);
    expect(await redis.hlen(keys.negotiationInflight(offerId))).toBe(0);
  });

  it('a written delivery is acknowledged without a further collect, and not delivered again', async () => {
    const tag = uniqueTag();
    const requestor = marketClient(t, await newParty(t));
    const provider = marketClient(t, await newParty(t));
    await provider.subscribeOffer({ tag }, `(tag=${tag})`);
    const demandId = await requestor.subscribeDemand({ tag }, `(tag=${tag})`);
    const { redis, keys } = t.instance.core;
    const [initial] = await requestor.collectOffers(demandId);
    expect(initial.eventType).toBe('ProposalEvent');
    // The acknowledgement goes out on its own (batched), not with a next collect: none is made until it has.
    await until(async () => (await redis.hlen(keys.negotiationInflight(demandId))) === 0, 'the acknowledgement');
    expect((await requestor.get(`/demands/${demandId}/events?timeout=1`)).body).toEqual([]);
  });
});

describe('negotiation events: when gathered acknowledgements go out', () => {
  it('a quarter of the lease, at most 250 ms: always well within the lease, whatever BOURSE_NEGOTIATION_LEASE_MS is', () => {
    expect(acknowledgementDelayMs(100)).toBe(25); // the shortest lease the setting allows
    expect(acknowledgementDelayMs(200)).toBe(50);
    expect(acknowledgementDelayMs(15_000)).toBe(250); // the default lease
    expect(acknowledgementDelayMs(600_000)).toBe(250); // the longest
  });
});
