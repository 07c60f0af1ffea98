/**
 * Matcher benchmark (`npm run bench -- matcher`): compiled predicates vs the reference interpreter, and
 * one new demand matched against N active offers through the SubscriptionIndex vs a full scan.
 */
import { performance } from 'perf_hooks';
import { type Figures, round } from './support';
import {
  SubscriptionIndex,
  compileSubscription,
  evaluate,
  matchesYes,
  type CompiledSubscription,
} from '../src/market/constraints';

const SUBNETS = 100; // a demand's subnet equality selects 1% of the offers
const PLATFORM = 'golem.com.payment.platform.erc20-holesky-tglm.address';
const NOW = 1_767_225_600_000;

/** A provider offer as the golem provider agent publishes it (nested and flat keys mixed, as real offers are). */
function offer(i: number, subnet: string): CompiledSubscription {
  const address = `0x${i.toString(16).padStart(40, '0')}`;
  return compileSubscription({
    id: `offer-${i}`,
    properties: {
      golem: {
        activity: { caps: { 'transfer.protocol': ['http', 'https', 'gftp'] } },
        com: {
          'payment.debit-notes.accept-timeout?': 240,
          'payment.protocol.version': 3,
          pricing: { model: { '@tag': 'linear', linear: { coeffs: [0.0001 * (i % 7), 0.00005, 0] } } },
          scheme: { '@tag': 'payu', payu: { 'debit-note.interval-sec?': 120, 'payment-timeout-sec?': 120 } },
          'usage.vector': ['golem.usage.cpu_sec', 'golem.usage.duration_sec'],
        },
        inf: {
          cpu: {
            architecture: 'x86_64',
            cores: 1 + (i % 16),
            threads: 2 + (i % 32),
            capabilities: ['sse4_2', 'avx2', 'aes'],
          },
          'mem.gib': 1 + (i % 64) / 2,
          'storage.gib': 10 + (i % 500),
        },
        node: { debug: { subnet }, id: { name: `provider-${i}` }, net: { 'is-public': i % 3 === 0 } },
        runtime: {
          name: i % 7 === 0 ? 'wasmtime' : 'vm',
          version: '0.4.2',
          capabilities: ['inet', 'vpn', 'manifest-support'],
        },
        srv: { caps: { 'multi-activity': true, 'payload-manifest': true } },
      },
      [PLATFORM]: address,
    },
    constraints: `(&(golem.srv.comp.expiration>${NOW})(golem.node.debug.subnet=${subnet}))`,
  });
}

/** A demand as golem-js 3.x builds it. */
function demand(subnet: string): CompiledSubscription {
  return compileSubscription({
    id: `demand-${subnet}`,
    properties: {
      'golem.com.payment.chosen-platform': 'erc20-holesky-tglm',
      'golem.com.payment.debit-notes.accept-timeout?': 240,
      [PLATFORM]: '0x00000000000000000000000000000000000000ff',
      'golem.node.debug.subnet': subnet,
      'golem.srv.caps.multi-activity': true,
      'golem.srv.comp.expiration': NOW + 3_600_000,
      'golem.srv.comp.vm.package_format': 'gvmkit-squash',
      'golem.srv.comp.task_package':
        'hash:sha3:9a3b5d67b0b27746283cb5f287c13eab1beaa12d92a9f536b747c7ae:http://registry/x',
    },
    constraints: [
      '(&(golem.inf.mem.gib>=0.5)',
      '(golem.inf.storage.gib>=2)',
      '(golem.inf.cpu.threads>=1)',
      '(golem.runtime.name=vm)',
      `(golem.node.debug.subnet=${subnet})`,
      `(${PLATFORM}=*)`,
      '(golem.com.payment.protocol.version>1)',
      '(golem.runtime.capabilities=vpn))',
    ].join('\n\t'),
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Milliseconds per call of `fn`, median of `repetitions` timings (after one warm-up call). */
function msPerCall(fn: () => unknown, repetitions: number): number {
  fn();
  const times: number[] = [];
  for (let r = 0; r < repetitions; r++) {
    const start = performance.now();
    fn();
    times.push(performance.now() - start);
  }
  return median(times);
}

/** One table row: first column left-aligned, the others right-aligned. */
const row = (cells: (string | number)[]) =>
  cells.map((cell, i) => (i === 0 ? String(cell).padEnd(22) : String(cell).padStart(16))).join('');

function predicateThroughput(): Figures {
  // All offers in the demand's subnet, so every conjunct is evaluated rather than the AND stopping early.
  const build = () => Array.from({ length: 1000 }, (_, i) => offer(i, 'public'));
  build(); // warm up the parser and compiler before timing them
  const started = performance.now();
  const offers = build();
  const compileMicros = ((performance.now() - started) / offers.length) * 1000;
  const requestor = demand('public');
  let sink = 0; // consumed below so the evaluations cannot be optimised away
  const compiled = () => offers.forEach((o) => (sink += requestor.predicate(o.properties)));
  const interpreted = () => offers.forEach((o) => (sink += evaluate(requestor.constraint, o.properties)));
  const perSecond = (fn: () => void) => {
    const ms = msPerCall(() => {
      for (let k = 0; k < 50; k++) fn();
    }, 9);
    return (50 * offers.length) / (ms / 1000);
  };
  const compiledRate = perSecond(compiled);
  const interpretedRate = perSecond(interpreted);
  console.log('Demand constraint (golem-js style, 8 conjuncts, all TRUE) on 1,000 realistic offers:');
  console.log(row(['', 'evaluations/s']));
  console.log(row(['compiled predicate', Math.round(compiledRate).toLocaleString('en')]));
  console.log(row(['AST interpreter', Math.round(interpretedRate).toLocaleString('en')]));
  console.log(row(['ratio (target ≥ 5×)', `${(compiledRate / interpretedRate).toFixed(1)}×`]));
  console.log(`(compileSubscription of an offer: ${compileMicros.toFixed(0)} µs; checksum ${sink > 0 ? 'ok' : '0'})`);
  return { compiledVsInterpreter: round(compiledRate / interpretedRate), compileOfferMicros: round(compileMicros) };
}

function indexVersusScan(): Figures {
  const figures: Figures = {};
  console.log(
    `\nOne new demand vs N active offers (${SUBNETS} subnets; the demand's subnet selects 1%), median ms per match:`,
  );
  console.log(row(['N', 'full scan', 'index', 'scan/index', 'Yes matches', 'index vs N/10']));
  let previous: number | null = null;
  for (const n of [1_000, 10_000, 100_000]) {
    const offers = Array.from({ length: n }, (_, i) => offer(i, `subnet-${i % SUBNETS}`));
    const index = new SubscriptionIndex();
    offers.forEach((o) => index.add(o));
    const demands = Array.from({ length: 11 }, (_, k) => demand(`subnet-${(k * 37) % SUBNETS}`));
    let turn = 0;
    const next = () => demands[turn++ % demands.length];

    const scan = (d: CompiledSubscription) => offers.filter((o) => matchesYes(d, o));
    const yes = scan(demands[0]).length;
    if (index.matchAll(demands[0]).length !== yes) throw new Error('index and full scan disagree');
    const scanMs = msPerCall(() => scan(next()), n >= 100_000 ? 7 : 21);
    const indexMs = msPerCall(() => index.matchAll(next()), 51);
    const growth = previous === null ? '' : `×${(indexMs / previous).toFixed(1)}`;
    previous = indexMs;
    const ratio = `${(scanMs / indexMs).toFixed(0)}×`;
    console.log(row([n.toLocaleString('en'), scanMs.toFixed(3), indexMs.toFixed(3), ratio, yes, growth]));
    figures[`indexMsAt${n}`] = round(indexMs);
    figures[`scanVsIndexAt${n}`] = round(scanMs / indexMs);
  }
  console.log('(target: index ≤ 20 ms at 100,000 offers)');
  return figures;
}

export async function run(): Promise<Figures> {
  return { ...predicateThroughput(), ...indexVersusScan() };
}
