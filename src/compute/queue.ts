import { Queue } from 'bullmq';
import type Redis from 'ioredis';
import type { Keys } from '../store/keys';

/** Data of a queue entry: only the id; the job record in Redis is the truth. */
export interface QueuedJob {
  jobId: string;
}

export interface QueueHost {
  redis: Redis;
  keys: Keys;
}

/** One BullMQ queue per provider: the runners serving that provider identity consume it. */
export function queueName(provider: string): string {
  return `compute-${provider.toLowerCase()}`;
}

/**
 * Retries cover infrastructure errors a runner throws (Redis gone mid-step); every step is idempotent, so a
 * retry resumes the job. Job failures are statuses in the job record, never BullMQ failures.
 */
const JOB_OPTIONS = {
  attempts: 3,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: { count: 1000 },
  removeOnFail: { count: 1000 },
};

const queues = new WeakMap<Redis, Map<string, Queue<QueuedJob>>>();

/** The queue of `provider`, on the host's command connection (cached per connection; closed with it). */
export function jobQueue(host: QueueHost, provider: string): Queue<QueuedJob> {
  let byProvider = queues.get(host.redis);
  if (!byProvider) {
    byProvider = new Map();
    queues.set(host.redis, byProvider);
  }
  const name = queueName(provider);
  let queue = byProvider.get(name);
  if (!queue) {
    queue = new Queue<QueuedJob>(name, {
      connection: host.redis,
      prefix: host.keys.queuePrefix(),
      defaultJobOptions: JOB_OPTIONS,
      skipWaitingForReady: true,
    });
    byProvider.set(name, queue);
  }
  return queue;
}

/** Puts a job on its provider's queue. Idempotent: the BullMQ job id is the job id. */
export async function enqueueJob(host: QueueHost, provider: string, jobId: string): Promise<void> {
  await jobQueue(host, provider).add('run', { jobId }, { jobId });
}

/** Closes the queues opened on `redis` (the connection itself stays open: it belongs to the caller). */
export async function closeJobQueues(redis: Redis): Promise<void> {
  const byProvider = queues.get(redis);
  if (!byProvider) return;
  queues.delete(redis);
  await Promise.all([...byProvider.values()].map((q) => q.close()));
}
