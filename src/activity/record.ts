import { randomHex } from '../kernel/randomHex';
import { Invalid } from '../kernel/errors';

/** yagna's activity states; an activity is created Initialized, `deploy` makes it Deployed and `start` Ready. */
export type ActivityState = 'New' | 'Initialized' | 'Deployed' | 'Ready' | 'Terminated' | 'Unresponsive';

export interface ActivityRecord {
  id: string;
  agreementId: string;
  requestorId: string;
  providerId: string;
  state: ActivityState;
  createdMs: number;
  /** The runner holding the activity (its workspace lives there), '' until the first batch is claimed. */
  runnerId: string;
  /** The batch being executed, '' when idle. */
  running: string;
  fence: number;
  /** CPU time the runner reported, ms. */
  cpuMs: number;
  terminatedMs: number;
  reason: string;
}

const STATES: readonly string[] = ['New', 'Initialized', 'Deployed', 'Ready', 'Terminated', 'Unresponsive'];

/** Reads an activity hash (flat HGETALL pairs or an object); undefined when absent. */
export function parseActivity(hash: Record<string, string>): ActivityRecord | undefined {
  if (!hash.id) return undefined;
  const num = (name: string): number => Number(hash[name] ?? 0) || 0;
  return {
    id: hash.id,
    agreementId: hash.agreementId ?? '',
    requestorId: hash.requestorId ?? '',
    providerId: hash.providerId ?? '',
    state: (STATES.includes(hash.state) ? hash.state : 'Unresponsive') as ActivityState,
    createdMs: num('createdMs'),
    runnerId: hash.runnerId ?? '',
    running: hash.running ?? '',
    fence: num('fence'),
    cpuMs: num('cpuMs'),
    terminatedMs: num('terminatedMs'),
    reason: hash.reason ?? '',
  };
}

export function newActivityId(): string {
  return randomHex(16);
}

export function newBatchId(): string {
  return randomHex(16);
}

const ID = /^[0-9a-f]{32}$/;
export function isActivityId(raw: string): boolean {
  return ID.test(raw);
}

/** A file name an activity may publish to the result store (`result:<name>`). */
export function isResultName(name: string): boolean {
  return /^\w[\w.-]{0,199}$/.test(name);
}

/** One ExeScript command: `{name: args}` with exactly one key. */
export interface ExeCommand {
  name: string;
  args: Record<string, unknown>;
}

export const MAX_SCRIPT_COMMANDS = 100;

/** Parses ExeScript text (a JSON array of one-key command objects); 400 with the reason otherwise. */
export function parseExeScript(text: unknown): ExeCommand[] {
  if (typeof text !== 'string') throw new Invalid('Invalid request body: body.text must be a string (ExeScript).');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Invalid('Invalid ExeScript: text is not JSON.');
  }
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_SCRIPT_COMMANDS)
    throw new Invalid(`Invalid ExeScript: expected an array of 1..${MAX_SCRIPT_COMMANDS} commands.`);
  return value.map((command: unknown, index) => {
    const entries = command !== null && typeof command === 'object' ? Object.entries(command) : [];
    if (Array.isArray(command) || entries.length !== 1)
      throw new Invalid(`Invalid ExeScript: command ${index} must be an object with one key.`);
    const [name, args] = entries[0];
    const argObject = args !== null && typeof args === 'object' && !Array.isArray(args) ? args : {};
    return { name, args: argObject as Record<string, unknown> };
  });
}

/** One command's result as the Activity API renders it (ExeScriptCommandResult). */
export interface CommandResult {
  index: number;
  eventDate: string;
  result: 'Ok' | 'Error';
  stdout: string | null;
  stderr: string | null;
  message: string | null;
  isBatchFinished: boolean;
}

/** A streaming runtime event (the `runtime` SSE event golem-js reads). */
export interface RuntimeEvent {
  batch_id: string;
  index: number;
  timestamp: string;
  kind:
    | { started: { command: unknown } }
    | { stdout: string }
    | { stderr: string }
    | { finished: { return_code: number; message: string | null } };
}
