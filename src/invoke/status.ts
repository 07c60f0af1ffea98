import { createHash } from 'node:crypto';
import { isTerminal, JobStatus, type JobRecord } from '../compute/jobs/record';
import type { ArgType } from './record';

export type InvokeStatus = 'Started' | 'Inprogress' | 'Completed' | 'Failed';

/** Ocean codes 1–30 are Started, 40–60 Inprogress; 70 with exit 0 (not stopped) Completed; any other end Failed. */
export function invokeStatus(job: JobRecord): InvokeStatus {
  if (!isTerminal(job.status)) return job.status >= JobStatus.Running ? 'Inprogress' : 'Started';
  const clean = job.status === JobStatus.Finished && job.exitCode === 0 && !job.stopRequested;
  return clean ? 'Completed' : 'Failed';
}

/** Epoch seconds (Ocean's text) as ISO 8601, or undefined when unset. */
export function isoOf(epochSecondsText: string): string | undefined {
  const seconds = Number(epochSecondsText);
  return epochSecondsText !== '' && Number.isFinite(seconds) ? new Date(seconds * 1000).toISOString() : undefined;
}

/** A declared output read back from its file, by its declared type; unparsable text is answered as text. */
export function parseOutput(bytes: Buffer, type: ArgType): unknown {
  const text = bytes.toString('utf8');
  if (type === 'number') {
    const value = Number(text.trim());
    return text.trim() !== '' && Number.isFinite(value) ? value : text;
  }
  if (type === 'boolean') {
    const word = text.trim().toLowerCase();
    return word === 'true' ? true : word === 'false' ? false : text;
  }
  if (type === 'json') {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
  return text;
}

export const sha256Hex = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');
