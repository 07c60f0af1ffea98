import { Invalid } from '../kernel/errors';
import type { InvokeServiceDefinition } from '../types/schemas';
import type { ArgType } from './record';

/** Largest text of one argument value, and of the whole payload (JSON). */
export const MAX_ARGUMENT_BYTES = 64 * 1024;
export const MAX_PAYLOAD_BYTES = 256 * 1024;
const PAYLOAD_FIELDS = new Set(['inputs', 'config', 'webhook']);

/** A payload checked against the service: what the algorithm receives and where to notify. */
export interface CheckedPayload {
  inputs: Record<string, unknown>;
  config: Record<string, string | number | boolean>;
  webhook: string | undefined;
  /** The job's input files: name under /data/inputs → URL the runner fetches (data: URLs carry the values). */
  files: Array<{ name: string; url: string }>;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

function httpUrl(value: unknown): URL | undefined {
  if (typeof value !== 'string') return undefined;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : undefined;
  } catch {
    return undefined;
  }
}

function fitsType(value: unknown, type: ArgType): boolean {
  if (type === 'string') return typeof value === 'string';
  if (type === 'number') return typeof value === 'number' && Number.isFinite(value);
  if (type === 'boolean') return typeof value === 'boolean';
  if (type === 'url') return httpUrl(value) !== undefined;
  return true;
}

/** The bytes of `/data/inputs/<argname>`: text as is, anything else as JSON. */
export function argumentText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

const dataUrl = (text: string, type: string): string =>
  `data:${type};base64,${Buffer.from(text, 'utf8').toString('base64')}`;

/**
 * Checks an invoke payload `{inputs, config?, webhook?}` against the service's declared inputs and configuration;
 * every refusal is a 400 that names the argument. `url` arguments are fetched by the runner under its input rules;
 * every other argument becomes a file with its value.
 */
export function checkPayload(body: unknown, definition: InvokeServiceDefinition): CheckedPayload {
  if (!isObject(body)) throw new Invalid('Invalid payload: expected a JSON object {inputs, config?, webhook?}');
  if (Buffer.byteLength(JSON.stringify(body)) > MAX_PAYLOAD_BYTES)
    throw new Invalid(`Invalid payload: larger than ${MAX_PAYLOAD_BYTES} bytes`);
  for (const field of Object.keys(body))
    if (!PAYLOAD_FIELDS.has(field)) throw new Invalid(`Invalid payload: unknown field '${field}'`);
  const inputs = body.inputs ?? {};
  if (!isObject(inputs)) throw new Invalid('Invalid payload: inputs must be an object argname → value');
  const declared = new Map(definition.inputs.map((arg) => [arg.argname, arg]));
  for (const name of Object.keys(inputs))
    if (!declared.has(name)) throw new Invalid(`Invalid argument '${name}': the service declares no such input`);
  const files: CheckedPayload['files'] = [];
  for (const arg of definition.inputs) {
    const value = inputs[arg.argname];
    if (value === undefined || value === null) {
      if (arg.mandatory) throw new Invalid(`Missing argument '${arg.argname}': it is mandatory`);
      continue;
    }
    if (!fitsType(value, arg.type))
      throw new Invalid(
        `Invalid argument '${arg.argname}': expected ${arg.type === 'url' ? 'an http(s) URL' : arg.type}`,
      );
    const text = argumentText(value);
    if (Buffer.byteLength(text) > MAX_ARGUMENT_BYTES)
      throw new Invalid(`Invalid argument '${arg.argname}': larger than ${MAX_ARGUMENT_BYTES} bytes`);
    files.push({ name: arg.argname, url: arg.type === 'url' ? text : dataUrl(text, 'text/plain') });
  }
  const config = { ...(definition.configuration ?? {}) };
  const requested = body.config ?? {};
  if (!isObject(requested)) throw new Invalid('Invalid payload: config must be an object name → value');
  for (const [name, value] of Object.entries(requested)) {
    if (!(name in config)) throw new Invalid(`Invalid config '${name}': the service declares no such option`);
    if (!['string', 'number', 'boolean'].includes(typeof value))
      throw new Invalid(`Invalid config '${name}': expected a string, number or boolean`);
    config[name] = value as string | number | boolean;
  }
  if (body.webhook !== undefined && !httpUrl(body.webhook))
    throw new Invalid('Invalid webhook: expected an http(s) URL');
  const invokeJson = JSON.stringify({ inputs, config });
  files.unshift({ name: 'invoke.json', url: dataUrl(invokeJson, 'application/json') });
  return { inputs, config, webhook: body.webhook as string | undefined, files };
}
