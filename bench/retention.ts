/**
 * Redis bytes per completed agreement, and what they add up to under a retention setting.
 * Runs N complete handshakes in-process (subscribe both sides → Initial → counter → counter → create → confirm →
 * AgreementEvent → approve → terminate → unsubscribe), then weighs every key under the instance's prefix with
 * MEMORY USAGE, by kind. Agreements and their event logs are kept for BOURSE_AGREEMENT_RETENTION_SECONDS (yagna:
 * 90 days); proposals and subscription records go an hour after their subscriptions end.
 * `npm run bench -- retention [--json]`; N from BENCH_HANDSHAKES (default 1000), among 10 requestors and 50
 * providers.
 */
import Redis from 'ioredis';
import { loadConfig } from '../src/kernel/config';
import { createLogger } from '../src/kernel/logger';
import { ApiInstance } from '../src/main/api';
import type { MarketServices } from '../src/market';
import { parseProposalId } from '../src/market/ids';
import type { NegotiationEvent } from '../test/support/marketEvents';
import { EmbeddedRedis } from '../src/store/embeddedRedis';
import { type Figures, table } from './support';

const HANDSHAKES = Number(process.env.BENCH_HANDSHAKES ?? 1000);
const REQUESTORS = 10;
const PROVIDERS = 50;
const RATES_PER_S = [1, 10, 75];
const RETENTION_DAYS = [1, 7, 90];

/** Properties of the size a yagna provider and requestor publish (a few dozen flat keys). */
function properties(side: 'offer' | 'demand', i: number): Record<string, unknown> {
  const common = {
    'golem.node.debug.subnet': 'retention',
    'golem.com.payment.platform.erc20-polygon-glm.address': `0x${'ab'.repeat(20)}`,
  };
  return side === 'offer'
    ? {
        ...common,
        'golem.inf.cpu.threads': 4,
        'golem.inf.mem.gib': 8,
        'golem.inf.storage.gib': 40,
        'golem.runtime.name': 'vm',
        'golem.runtime.version': '0.3.0',
        'golem.com.pricing.model': 'linear',
        'golem.com.pricing.model.linear.coeffs': [0.0001, 0.0002, 0],
        'golem.node.id.name': `provider-${i}`,
      }
    : {
        ...common,
        'golem.srv.comp.expiration': Date.now() + 3_600_000,
        'golem.srv.comp.task_package': `hash:sha3:${'c'.repeat(56)}:http://x/${i}`,
      };
}

async function next(
  market: MarketServices,
  kind: 'demand' | 'offer',
  id: string,
  owner: string,
): Promise<NegotiationEvent> {
  const collected = await market.inbox.collect(kind, id, owner, 10_000, 1);
  await collected.settle(true);
  const [event] = collected.events as NegotiationEvent[];
  if (!event) throw new Error(`no event on ${kind} ${id}`);
  return event;
}

async function handshake(market: MarketServices, i: number): Promise<void> {
  // Parties trade repeatedly (their event logs and indexes are shared by their agreements), as in a market.
  const requestor = `0x${(1 + (i % REQUESTORS)).toString(16).padStart(40, '0')}`;
  const provider = `0x${(1000 + (i % PROVIDERS)).toString(16).padStart(40, '0')}`;
  const tag = `(golem.node.id.name=provider-${i})`;
  const offer = { properties: properties('offer', i), constraints: '(golem.node.debug.subnet=retention)' };
  const demand = { properties: properties('demand', i), constraints: tag };
  const offerId = (await market.subscriptions.subscribe('offer', provider, offer)).id;
  const demandId = (await market.subscriptions.subscribe('demand', requestor, demand)).id;
  const initial = await next(market, 'demand', demandId, requestor);
  const counter = await market.negotiation.counter(
    'demand',
    demandId,
    parseProposalId(initial.proposal!.proposalId),
    requestor,
    demand,
  );
  const countered = await next(market, 'offer', offerId, provider);
  await market.negotiation.counter('offer', offerId, parseProposalId(countered.proposal!.proposalId), provider, offer);
  const draft = await next(market, 'demand', demandId, requestor);
  if (draft.proposal!.prevProposalId !== counter) throw new Error('unexpected draft');
  const validTo = new Date(Date.now() + 600_000).toISOString();
  const agreementId = await market.agreements.create(requestor, { proposalId: draft.proposal!.proposalId, validTo });
  await market.agreements.confirm(requestor, agreementId, 'session');
  await next(market, 'offer', offerId, provider);
  await market.agreements.approve(provider, agreementId, 'session');
  await market.agreements.terminate(requestor, agreementId, { message: 'done' });
  await market.subscriptions.unsubscribe('offer', offerId, provider);
  await market.subscriptions.unsubscribe('demand', demandId, requestor);
}

/** Which retention a key falls under, by its name below the prefix. */
function kindOf(name: string): string {
  if (/^agreement:[0-9a-f]{64}$/.test(name)) return 'agreement records';
  if (name.startsWith('agreements:events:')) return 'agreement event logs';
  if (name.startsWith('agreements:clock:')) return 'agreement event clocks';
  if (name.startsWith('agreements:party:')) return 'agreement party indexes';
  if (name === 'agreements:approved') return 'approvals stream (1 day)';
  if (name.startsWith('proposal:')) return 'proposals (1 h after the subscriptions)';
  if (name.startsWith('sub:') || name.startsWith('subs:')) return 'subscriptions (1 h after they end)';
  return 'other';
}

const RETAINED = new Set([
  'agreement records',
  'agreement event logs',
  'agreement event clocks',
  'agreement party indexes',
]);

export async function run(): Promise<Figures> {
  const embedded = process.env.REDIS_URL ? undefined : await EmbeddedRedis.start();
  const redisUrl = process.env.REDIS_URL ?? embedded!.url;
  const prefix = `bench:retention:${Date.now()}:`;
  const config = loadConfig({
    BOURSE_KEY_PREFIX: prefix,
    BOURSE_AUTH_SECRET: 'bench-secret-bench-secret-bench-secret-0123',
    LOG_LEVEL: 'silent',
  });
  const instance = await ApiInstance.create({ config, redisUrl, log: createLogger('silent') });
  const admin = new Redis(redisUrl);
  try {
    const market = instance.services.market;
    const started = Date.now();
    for (let i = 0; i < HANDSHAKES; i += 20) {
      await Promise.all(Array.from({ length: Math.min(20, HANDSHAKES - i) }, (_, j) => handshake(market, i + j)));
    }
    const seconds = (Date.now() - started) / 1000;
    const bytes = new Map<string, number>();
    let cursor = '0';
    do {
      const [nextCursor, names] = await admin.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = nextCursor;
      for (const key of names) {
        const kind = kindOf(key.slice(prefix.length));
        bytes.set(kind, (bytes.get(kind) ?? 0) + Number((await admin.memory('USAGE', key, 'SAMPLES', 0)) ?? 0));
      }
    } while (cursor !== '0');
    const perAgreement = Object.fromEntries([...bytes].map(([kind, total]) => [kind, Math.round(total / HANDSHAKES)]));
    const retained = [...bytes].filter(([kind]) => RETAINED.has(kind)).reduce((sum, [, b]) => sum + b, 0) / HANDSHAKES;
    const capacity = RATES_PER_S.flatMap((rate) =>
      RETENTION_DAYS.map((days) => ({
        'handshakes/s': rate,
        'retention (days)': days,
        agreements: rate * 86400 * days,
        'Redis GiB': Number(((rate * 86400 * days * retained) / 1024 ** 3).toFixed(1)),
      })),
    );
    const result = {
      handshakes: HANDSHAKES,
      seconds: Number(seconds.toFixed(1)),
      bytesPerAgreementByKind: perAgreement,
      retainedBytesPerAgreement: Math.round(retained),
      capacity,
    };
    console.log(`${HANDSHAKES} complete handshakes in ${result.seconds} s`);
    table(Object.entries(perAgreement).map(([kind, b]) => ({ kind, 'bytes per agreement': b })));
    console.log(
      `kept for the agreement retention: ${result.retainedBytesPerAgreement} bytes per agreement ` +
        '(memory = handshakes/s × 86,400 × retention days × that)',
    );
    table(capacity);
    return result;
  } finally {
    admin.disconnect();
    await instance.close(1000);
    await embedded?.stop();
  }
}
