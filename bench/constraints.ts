/**
 * Cost of the largest demand or offer the limits allow (`npm run bench -- constraints`): parse + compile time of
 * the longest constraint and of the largest properties maps, i.e. how long one subscribe blocks every instance's
 * event loop (each instance's matcher compiles it too). Compared with a typical golem demand compiled in the same run.
 */
import { performance } from 'perf_hooks';
import { type Figures, round } from './support';
import {
  compileSubscription,
  ConstraintLimitError,
  MAX_CONSTRAINT_BYTES,
  MAX_CONSTRAINT_TERMS,
  MAX_PROPERTIES,
  type SubscriptionSource,
} from '../src/market/constraints';

const BODY_LIMIT_BYTES = 2 * 1024 * 1024;

/** Median and worst of `rounds` timed compiles (after warm-up). */
function time(source: SubscriptionSource, rounds = 20): { median: number; worst: number } {
  for (let i = 0; i < 3; i++) compileSubscription(source);
  const samples: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const started = performance.now();
    compileSubscription(source);
    samples.push(performance.now() - started);
  }
  samples.sort((a, b) => a - b);
  return { median: samples[Math.floor(rounds / 2)], worst: samples[rounds - 1] };
}

/** The largest constraint allowed: MAX_CONSTRAINT_TERMS terms, mixed operators and nesting, within the byte limit. */
function largestConstraint(): string {
  const terms: string[] = [];
  for (let i = 0; i < MAX_CONSTRAINT_TERMS; i++) {
    const name = `golem.p${i % 97}.x${i}`;
    terms.push(i % 4 === 0 ? `(${name}=*)` : i % 4 === 1 ? `(${name}>=${i})` : `(${name}=v${i}*)`);
  }
  const groups: string[] = [];
  for (let i = 0; i < terms.length; i += 50) groups.push(`(|${terms.slice(i, i + 50).join('')})`);
  let text = `(&${groups.join('')})`;
  if (text.length > MAX_CONSTRAINT_BYTES) throw new Error(`built ${text.length} bytes, over the limit`);
  text = text.slice(0, -1) + ' '.repeat(MAX_CONSTRAINT_BYTES - text.length) + ')';
  return text;
}

/** MAX_PROPERTIES properties whose values fill the body limit (long strings and lists, nested keys). */
function largestProperties(): Record<string, unknown> {
  const valueBytes = Math.floor(BODY_LIMIT_BYTES / MAX_PROPERTIES) - 40;
  const properties: Record<string, unknown> = {};
  for (let i = 0; i < MAX_PROPERTIES; i++) {
    const group = (properties[`golem.g${i % 50}`] ??= {}) as Record<string, unknown>;
    group[`p${i}`] = i % 2 === 0 ? 'x'.repeat(valueBytes) : Array.from({ length: valueBytes / 4 }, (_, j) => j % 10);
  }
  return properties;
}

const TYPICAL: SubscriptionSource = {
  id: 'typical',
  properties: { 'golem.srv.comp.expiration': 1_767_225_600_000, 'golem.node.debug.subnet': 'public' },
  constraints:
    '(&(golem.inf.mem.gib>=0.5)(golem.inf.storage.gib>=2)(golem.runtime.name=vm)(golem.node.debug.subnet=public))',
};

export async function run(): Promise<Figures> {
  const constraint = largestConstraint();
  const properties = largestProperties();
  const array = { list: Array.from({ length: BODY_LIMIT_BYTES / 2 - 20 }, () => 1) };
  const cases: Array<[string, SubscriptionSource]> = [
    ['typical golem demand', TYPICAL],
    [
      `largest constraint (${MAX_CONSTRAINT_TERMS} terms, ${constraint.length} B)`,
      { ...TYPICAL, constraints: constraint },
    ],
    [`${MAX_PROPERTIES} properties filling ${BODY_LIMIT_BYTES} B`, { ...TYPICAL, properties }],
    ['one list property filling the body limit', { ...TYPICAL, properties: array }],
    ['both largest at once', { id: 'both', properties, constraints: constraint }],
  ];
  const figures: Figures = {};
  const keys = ['typicalMs', 'largestConstraintMs', 'mostPropertiesMs', 'largestListMs', 'bothLargestMs'];
  for (const [index, [name, source]] of cases.entries()) {
    const { median, worst } = time(source);
    figures[keys[index]] = round(median);
    console.log(`${name.padEnd(60)} median ${median.toFixed(2)} ms, worst ${worst.toFixed(2)} ms`);
  }
  const over = { ...TYPICAL, constraints: constraint + ' ' };
  const started = performance.now();
  try {
    compileSubscription(over);
  } catch (err) {
    if (!(err instanceof ConstraintLimitError)) throw err;
  }
  const refusal = performance.now() - started;
  console.log(`${'refusing a constraint one byte over the limit'.padEnd(60)} ${refusal.toFixed(2)} ms`);
  return { ...figures, refusalMs: round(refusal) };
}
