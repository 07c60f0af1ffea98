import { DomainError, Invalid } from '../kernel/errors';
import { WORKLOAD_PROPERTY_PREFIX } from '../market/agreements/handoff';
import type { ComputeDataset, ComputeStartRequest } from '../types/schemas';
import type { JobSpec } from './jobs/record';
import { runtimeOfPackage, runtimePackage } from './runtimePackages';

/**
 * The workload as it travels in the negotiation, and the runner's environment as its Offer states it.
 * This is the only file that knows the `bourse.job.*` / `bourse.runner.*` / `golem.inf.*` property names:
 * dispatch, the compute routes and the runner's market policy all go through it. Validation throws `Invalid` (a domain
 * error, never an HTTP one); `readWorkload` returns the refusal as a value for callers that record it.
 */

/** What a runner offers and allows, as published in its Offer. */
export interface RunnerEnvironment {
  cores: number;
  memoryGiB: number;
  diskGiB: number;
  /** Runtimes (interpreter families) the runner serves, e.g. node, sh, python3. */
  runtimes: string[];
  /** Executables an entrypoint may start (argv[0]). */
  commands: string[];
  maxDurationSeconds: number;
  maxInputBytes: number;
  /** Linear pricing coefficients: [per duration second, per CPU second, fixed]. */
  priceCoeffs: number[];
}

export const JOB = {
  runtime: 'bourse.job.runtime',
  entrypoint: 'bourse.job.entrypoint',
  algorithm: 'bourse.job.algorithm',
  inputs: 'bourse.job.inputs',
  maxDuration: 'bourse.job.maxDuration',
} as const;

export const RUNNER = {
  cores: 'golem.inf.cpu.cores',
  memoryGiB: 'golem.inf.mem.gib',
  diskGiB: 'golem.inf.storage.gib',
  runtimeName: 'golem.runtime.name',
  runtimes: 'bourse.runner.runtimes',
  taskPackages: 'bourse.runner.taskPackages',
  commands: 'bourse.runner.commands',
  maxDuration: 'bourse.runner.maxDuration',
  maxInputBytes: 'bourse.runner.maxInputBytes',
  pricingModel: 'golem.com.pricing.model',
  priceCoeffs: 'golem.com.pricing.model.linear.coeffs',
  usageVector: 'golem.com.usage.vector',
} as const;

/** `golem.runtime.name` of every Bourse runner: demands select runners with `(golem.runtime.name=bourse-process)`. */
export const RUNTIME_NAME = 'bourse-process';
export const ALGO_PLACEHOLDER = '$ALGO';

const MAX_ALGORITHM_BYTES = 256 * 1024;
const MAX_INPUTS = 32;
const MAX_URL_LENGTH = 64 * 1024;
const MAX_ARGV = 64;
const MAX_ARG_LENGTH = 4096;
export const RUNTIME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/;
const INPUT_SCHEMES = new Set(['http:', 'https:', 'data:']);

type Properties = Record<string, unknown>;

/** True when the properties describe a Bourse job at all (agreements without one are not compute work). */
export function hasJobProperties(properties: Properties): boolean {
  return Object.keys(properties).some((name) => name.startsWith(WORKLOAD_PROPERTY_PREFIX));
}

function runtimeOf(value: unknown, name: string): string {
  if (typeof value !== 'string' || !RUNTIME_PATTERN.test(value)) {
    throw new Invalid(`${name} must be a runtime name such as "node", "sh" or "python3"`);
  }
  return value;
}

function entrypointOf(value: unknown, name: string): string[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_ARGV) {
    throw new Invalid(`${name} must be a non-empty argv array of at most ${MAX_ARGV} strings (no shell is used)`);
  }
  for (const arg of value) {
    if (typeof arg !== 'string' || arg.length > MAX_ARG_LENGTH || arg.includes('\0')) {
      throw new Invalid(`${name} must contain strings of at most ${MAX_ARG_LENGTH} characters without NUL`);
    }
  }
  if (value[0] === '') throw new Invalid(`${name}[0] must name the command to run`);
  return value as string[];
}

function algorithmOf(value: unknown, name: string): string {
  if (typeof value !== 'string' || value === '')
    throw new Invalid(`${name} must be the algorithm's raw code (a non-empty string)`);
  if (Buffer.byteLength(value) > MAX_ALGORITHM_BYTES)
    throw new Invalid(`${name} must be at most ${MAX_ALGORITHM_BYTES} bytes`);
  return value;
}

function inputUrlOf(value: unknown, name: string): string {
  if (typeof value !== 'string' || value.length > MAX_URL_LENGTH) throw new Invalid(`${name} must be a URL string`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Invalid(`${name} is not a valid URL`);
  }
  if (!INPUT_SCHEMES.has(url.protocol)) throw new Invalid(`${name} must be an http:, https: or data: URL`);
  return value;
}

function inputsOf(value: unknown, name: string): string[] {
  if (!Array.isArray(value) || value.length > MAX_INPUTS)
    throw new Invalid(`${name} must be an array of at most ${MAX_INPUTS} URLs`);
  return value.map((item, i) => inputUrlOf(item, `${name}[${i}]`));
}

function durationOf(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1)
    throw new Invalid(`${name} must be a whole number of seconds, at least 1`);
  return value;
}

/**
 * The job a demand describes. Required: runtime, algorithm, maxDuration; `entrypoint` defaults to
 * `[runtime, "$ALGO"]`, `inputs` to none. Throws Invalid naming the offending property.
 */
export function jobSpecFromProperties(properties: Properties): JobSpec {
  const runtime = runtimeOf(properties[JOB.runtime], JOB.runtime);
  const entrypoint =
    properties[JOB.entrypoint] === undefined
      ? [runtime, ALGO_PLACEHOLDER]
      : entrypointOf(properties[JOB.entrypoint], JOB.entrypoint);
  return {
    runtime,
    entrypoint,
    algorithm: algorithmOf(properties[JOB.algorithm], JOB.algorithm),
    inputs: properties[JOB.inputs] === undefined ? [] : inputsOf(properties[JOB.inputs], JOB.inputs),
    maxDurationSeconds: durationOf(properties[JOB.maxDuration], JOB.maxDuration),
  };
}

/** The job a demand describes, or why it does not describe a valid one. */
export function readWorkload(properties: Properties): { ok: true; spec: JobSpec } | { ok: false; reason: string } {
  try {
    return { ok: true, spec: jobSpecFromProperties(properties) };
  } catch (err) {
    if (err instanceof DomainError) return { ok: false, reason: err.message };
    throw err;
  }
}

/** The demand properties that describe `spec` (what a requestor puts in its Demand). */
export function jobProperties(spec: JobSpec): Properties {
  return {
    [JOB.runtime]: spec.runtime,
    [JOB.entrypoint]: spec.entrypoint,
    [JOB.algorithm]: spec.algorithm,
    [JOB.inputs]: spec.inputs,
    [JOB.maxDuration]: spec.maxDurationSeconds,
  };
}

/** The workload part of POST compute (the auth fields are the auth middleware's). */
export type ComputeWorkloadOverride = Pick<
  ComputeStartRequest,
  'algorithm' | 'dataset' | 'additionalDatasets' | 'maxJobDuration'
>;

/** Ocean's entrypoint is one string split on whitespace (`node $ALGO`); an argv array is taken as is. */
function oceanEntrypointOf(value: string | string[], name: string): string[] {
  return entrypointOf(typeof value === 'string' ? value.trim().split(/\s+/) : value, name);
}

function datasetUrl(dataset: ComputeDataset, name: string): string {
  const url = dataset.url ?? dataset.fileObject?.url;
  if (url === undefined) throw new Invalid(`${name} must carry the input's URL in "url" (or "fileObject.url")`);
  return inputUrlOf(url, `${name}.url`);
}

/**
 * A further job under an agreement: the agreed workload with Ocean's overrides applied
 * (`algorithm.meta.rawcode`, `algorithm.meta.container.entrypoint`, dataset URLs, a shorter `maxJobDuration`).
 * The runtime stays the agreed one.
 */
export function applyOverride(agreed: JobSpec, override: ComputeWorkloadOverride): JobSpec {
  const meta = override.algorithm?.meta;
  const datasets: Array<[string, ComputeDataset]> = (override.additionalDatasets ?? []).map((d, i) => [
    `additionalDatasets[${i}]`,
    d,
  ]);
  if (override.dataset) datasets.unshift(['dataset', override.dataset]);
  const inputs = datasets.length === 0 ? agreed.inputs : datasets.map(([name, d]) => datasetUrl(d, name));
  if (inputs.length > MAX_INPUTS) throw new Invalid(`at most ${MAX_INPUTS} datasets may be given`);
  let maxDurationSeconds = agreed.maxDurationSeconds;
  if (override.maxJobDuration !== undefined) {
    maxDurationSeconds = durationOf(override.maxJobDuration, 'maxJobDuration');
    if (maxDurationSeconds > agreed.maxDurationSeconds) {
      throw new Invalid(
        `maxJobDuration must not exceed the agreed ${JOB.maxDuration} (${agreed.maxDurationSeconds} s)`,
      );
    }
  }
  return {
    runtime: agreed.runtime,
    entrypoint:
      meta?.container?.entrypoint === undefined
        ? agreed.entrypoint
        : oceanEntrypointOf(meta.container.entrypoint, 'algorithm.meta.container.entrypoint'),
    algorithm: meta?.rawcode === undefined ? agreed.algorithm : algorithmOf(meta.rawcode, 'algorithm.meta.rawcode'),
    inputs,
    maxDurationSeconds,
  };
}

/** The Offer properties a runner publishes for its environment. */
export function offerProperties(env: RunnerEnvironment): Properties {
  return {
    [RUNNER.cores]: env.cores,
    [RUNNER.memoryGiB]: env.memoryGiB,
    [RUNNER.diskGiB]: env.diskGiB,
    [RUNNER.runtimeName]: RUNTIME_NAME,
    [RUNNER.runtimes]: env.runtimes,
    [RUNNER.taskPackages]: env.runtimes.map((runtime) => runtimePackage(runtime).taskPackage),
    [RUNNER.commands]: env.commands,
    [RUNNER.maxDuration]: env.maxDurationSeconds,
    [RUNNER.maxInputBytes]: env.maxInputBytes,
    [RUNNER.pricingModel]: 'linear',
    [RUNNER.priceCoeffs]: env.priceCoeffs,
    [RUNNER.usageVector]: ['golem.usage.duration_sec', 'golem.usage.cpu_sec'],
  };
}

/** The package property golem-js's demand names its image with: such a demand asks for an activity rental. */
export const TASK_PACKAGE = 'golem.srv.comp.task_package';

/**
 * A demand asks for an activity (a Golem rental: the requestor creates activities and sends ExeScript batches) when it
 * names a task package and carries no `bourse.job.*` property; with `bourse.job.*` it asks for a job started on
 * approval.
 */
export function wantsActivity(properties: Properties): boolean {
  return !hasJobProperties(properties) && typeof properties[TASK_PACKAGE] === 'string';
}

/** Why an activity rental's task package does not fit `env`, or undefined when it names a runtime `env` serves. */
export function packageMisfit(properties: Properties, env: RunnerEnvironment): string | undefined {
  const runtime = runtimeOfPackage(properties[TASK_PACKAGE]);
  if (runtime !== undefined && env.runtimes.includes(runtime)) return undefined;
  return `${TASK_PACKAGE} names no runtime this runner serves (serves: ${env.runtimes.join(', ')}; see GET /api/runtimes)`;
}

/**
 * The Offer's constraints on demands: a job of a served runtime within the maximum duration, or an activity rental
 * whose task package is one of a served runtime (runtimePackages.ts). (Allowed commands are a list check the
 * constraint language cannot express on argv[0]; the policy does it.)
 */
export function offerConstraints(env: RunnerEnvironment): string {
  const runtimes = env.runtimes.map((r) => `(${JOB.runtime}=${r})`).join('');
  const packages = env.runtimes.map((r) => `(${TASK_PACKAGE}=${runtimePackage(r).taskPackage})`).join('');
  // Presence tests first, so a demand of the other model makes its branch false rather than undefined.
  const job = `(&(${JOB.runtime}=*)(|${runtimes})(${JOB.maxDuration}<=${env.maxDurationSeconds}))`;
  return `(|${job}(&(${TASK_PACKAGE}=*)(|${packages})))`;
}

function numberList(value: unknown): number[] | undefined {
  return Array.isArray(value) && value.every((v) => typeof v === 'number') ? (value as number[]) : undefined;
}
function stringList(value: unknown): string[] | undefined {
  return Array.isArray(value) && value.every((v) => typeof v === 'string') ? (value as string[]) : undefined;
}
function numberOr(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

/** A runner environment read back from Offer properties; undefined when the offer is not a Bourse runner's. */
export function environmentFromOffer(properties: Properties): RunnerEnvironment | undefined {
  const runtimes = stringList(properties[RUNNER.runtimes]);
  const commands = stringList(properties[RUNNER.commands]);
  if (properties[RUNNER.runtimeName] !== RUNTIME_NAME || !runtimes || !commands) return undefined;
  return {
    cores: numberOr(properties[RUNNER.cores], 0),
    memoryGiB: numberOr(properties[RUNNER.memoryGiB], 0),
    diskGiB: numberOr(properties[RUNNER.diskGiB], 0),
    runtimes,
    commands,
    maxDurationSeconds: numberOr(properties[RUNNER.maxDuration], 0),
    maxInputBytes: numberOr(properties[RUNNER.maxInputBytes], 0),
    priceCoeffs: numberList(properties[RUNNER.priceCoeffs]) ?? [],
  };
}

/** Why `spec` does not fit `env`, or undefined when it does (the runner's negotiation policy and POST compute). */
export function misfit(spec: JobSpec, env: RunnerEnvironment): string | undefined {
  if (!env.runtimes.includes(spec.runtime))
    return `runtime "${spec.runtime}" is not served (serves: ${env.runtimes.join(', ')})`;
  if (!env.commands.includes(spec.entrypoint[0]))
    return `command "${spec.entrypoint[0]}" is not allowed (allowed: ${env.commands.join(', ')})`;
  if (spec.maxDurationSeconds > env.maxDurationSeconds)
    return `maxDuration ${spec.maxDurationSeconds} s exceeds the runner's ${env.maxDurationSeconds} s`;
  return undefined;
}
