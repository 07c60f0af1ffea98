import type Redis from 'ioredis';
import type { Keys } from '../../store/keys';

/**
 * Where result files live, behind the API: one interface so an S3-compatible object store can replace Redis. Files
 * are addressed by job id and their stable index; the listing (names, sizes, hashes) is in the job record.
 */
export interface ResultStore {
  put(jobId: string, index: number, bytes: Buffer): Promise<void>;
  get(jobId: string, index: number): Promise<Buffer | undefined>;
  remove(jobId: string, indexes: number[]): Promise<void>;
}

/** Result files as Redis strings beside the job (fine up to the API's per-job result cap). */
export class RedisResultStore implements ResultStore {
  constructor(private readonly host: { redis: Redis; keys: Keys }) {}

  async put(jobId: string, index: number, bytes: Buffer): Promise<void> {
    await this.host.redis.set(this.host.keys.jobResult(jobId, index), bytes);
  }

  async get(jobId: string, index: number): Promise<Buffer | undefined> {
    return (await this.host.redis.getBuffer(this.host.keys.jobResult(jobId, index))) ?? undefined;
  }

  async remove(jobId: string, indexes: number[]): Promise<void> {
    if (indexes.length > 0) await this.host.redis.del(...indexes.map((i) => this.host.keys.jobResult(jobId, i)));
  }
}
