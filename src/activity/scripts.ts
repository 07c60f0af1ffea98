import path from 'node:path';
import type { DueDebitNote } from '../payment/debitNotes';
import { defineScript, hashOf, outcome } from '../store/scripts';
import { parseActivity, type ActivityRecord, type ActivityState } from './record';

/** The activity transitions two API instances or two runners could race on, one Lua script each. */

const lua = (name: string): string => path.join(__dirname, 'lua', `${name}.lua`);

export const createScript = defineScript({
  name: 'activity.create',
  file: lua('create'),
  keys: ['activity', 'agreementActivities', 'debitNotesDue'],
  args: ['id', 'agreementId', 'requestorId', 'providerId', 'nowMs', 'debitNoteIntervalMs'],
  parse: (reply) => outcome(reply).code as 'ok' | 'exists',
});

export const debitNotesDueScript = defineScript({
  name: 'activity.debitNotesDue',
  file: lua('debit_notes_due'),
  keys: ['debitNotesDue'],
  args: ['activityPrefix', 'nowMs', 'limit'],
  parse: (reply): DueDebitNote[] => {
    const { values } = outcome(reply);
    const due: DueDebitNote[] = [];
    for (let i = 0; i + 4 < values.length; i += 5) {
      const [activityId, agreementId, number, createdMs, cpuMs] = values.slice(i, i + 5);
      due.push({
        activityId: String(activityId),
        agreementId: String(agreementId),
        number: Number(number),
        createdMs: Number(createdMs),
        cpuMs: Number(cpuMs) || 0,
      });
    }
    return due;
  },
});

export const execScript = defineScript({
  name: 'activity.exec',
  file: lua('exec'),
  keys: ['activity', 'batch', 'queue'],
  args: ['batchId', 'text', 'count', 'nowMs', 'queueWake'],
  parse: (reply) => outcome(reply).code as 'ok' | 'notfound' | 'terminated',
});

export interface ActivityClaim {
  fence: number;
  batchId: string;
  text: string;
  activity: ActivityRecord;
}

/** A held activity that ended: its runner removes the workspace and frees the capacity it held. */
export interface EndedActivity {
  ended: string;
}

export const claimScript = defineScript({
  name: 'activity.claim',
  file: lua('claim'),
  keys: ['queue', 'leases'],
  args: ['activityPrefix', 'batchPrefix', 'runnerId', 'nowMs', 'leaseMs', 'heldOnly'],
  parse: (reply): ActivityClaim | EndedActivity | undefined => {
    const { code, values } = outcome(reply);
    if (code === 'ended') return { ended: String(values[0]) };
    if (code !== 'ok') return undefined;
    const activity = parseActivity(hashOf(values.slice(3)));
    if (!activity) return undefined;
    return { fence: Number(values[0]), batchId: String(values[1]), text: String(values[2]), activity };
  },
});

export const reportScript = defineScript({
  name: 'activity.report',
  file: lua('report'),
  keys: ['activity', 'batch', 'events', 'results', 'leases'],
  args: [
    'activityId',
    'batchId',
    'fence',
    'nowMs',
    'leaseMs',
    'newState',
    'done',
    'cpuMs',
    'eventCount',
    'batchWake',
    'activityWake',
  ],
  parse: (reply) => {
    const { code, values } = outcome(reply);
    return code === 'ok' ? { state: String(values[0]) as ActivityState } : undefined;
  },
});

export const destroyScript = defineScript({
  name: 'activity.destroy',
  file: lua('destroy'),
  keys: ['activity', 'leases', 'queue'],
  args: ['id', 'nowMs', 'reason', 'activityWake', 'queueWake'],
  parse: (reply) => outcome(reply).code as 'ok' | 'notfound' | 'terminated',
});

export const lostScript = defineScript({
  name: 'activity.lost',
  file: lua('lost'),
  keys: ['activity', 'leases'],
  args: ['id', 'nowMs', 'batchPrefix', 'result', 'reason', 'wakePrefix', 'event'],
  parse: (reply) => {
    const { code, values } = outcome(reply);
    return code === 'ok' ? { batchId: String(values[0] ?? '') } : undefined;
  },
});

export const publishScript = defineScript({
  name: 'activity.publish',
  file: lua('publish'),
  keys: ['activity', 'results'],
  args: ['fence', 'name', 'index', 'size', 'maxBytes'],
  parse: (reply) => {
    const { code, values } = outcome(reply);
    return { code: code as 'ok' | 'fenced' | 'toolarge', replaced: values[0] ? Number(values[0]) : undefined };
  },
});
