import type { TestInstance } from '../../support/instance';
import type { Party } from '../../support/identities';

export const PROVIDER_API = '/api/provider/v1';

/**
 * A stand-in runner speaking the provider job API over HTTP with its provider's token (what a real runner does,
 * step by step, so endpoint tests can place jobs at any status without running anything).
 */
export class ProviderTestClient {
  constructor(
    private readonly t: TestInstance,
    readonly party: Party,
    readonly runnerId = 'test-runner',
  ) {}

  private auth() {
    return { Authorization: `Bearer ${this.party.token}` };
  }

  /** Claims jobs of this provider until `jobId` comes (older queued jobs are held too); returns its fence. */
  async claim(jobId: string, leaseMs = 60_000): Promise<number> {
    for (let i = 0; i < 1000; i++) {
      const res = await this.t.request
        .post(`${PROVIDER_API}/jobs/claim`)
        .query({ timeout: 0 })
        .set(this.auth())
        .send({ runnerId: this.runnerId, leaseMs });
      if (res.status !== 200) throw new Error(`claim answered ${res.status}: ${JSON.stringify(res.body)}`);
      if (res.body.jobId === jobId) return res.body.fence as number;
    }
    throw new Error(`job ${jobId} never came`);
  }

  async report(jobId: string, fence: number, status: number, fields: Record<string, unknown> = {}): Promise<void> {
    const res = await this.t.request
      .post(`${PROVIDER_API}/jobs/${jobId}/status`)
      .set(this.auth())
      .send({ fence, status, ...fields });
    if (res.status !== 200) throw new Error(`report ${status} answered ${res.status}: ${JSON.stringify(res.body)}`);
  }

  async upload(jobId: string, fence: number, index: number, filename: string, type: string, bytes: Buffer) {
    const res = await this.t.request
      .put(`${PROVIDER_API}/jobs/${jobId}/results/${index}`)
      .query({ fence, filename, type })
      .set({ ...this.auth(), 'content-type': 'application/octet-stream' })
      .send(bytes);
    if (res.status !== 201) throw new Error(`upload answered ${res.status}: ${JSON.stringify(res.body)}`);
  }

  async log(jobId: string, fence: number, text: string): Promise<void> {
    const res = await this.t.request
      .post(`${PROVIDER_API}/jobs/${jobId}/logs`)
      .query({ fence })
      .set({ ...this.auth(), 'content-type': 'application/octet-stream' })
      .send(Buffer.from(text));
    if (res.status !== 200) throw new Error(`log answered ${res.status}: ${JSON.stringify(res.body)}`);
  }

  /** Claims `jobId` and reports 10 → 20 → 30 → 40; returns the fence. */
  async runTo40(jobId: string): Promise<number> {
    const fence = await this.claim(jobId);
    for (const status of [10, 20, 30, 40]) await this.report(jobId, fence, status);
    return fence;
  }

  /** Ends a held job as a run does: 60, the given result files (index 0 = the log), then `status`. */
  async finish(
    jobId: string,
    fence: number,
    files: Array<{ filename: string; type: string; bytes: Buffer }>,
    fields: Record<string, unknown> = {},
    status = 70,
  ): Promise<void> {
    await this.report(jobId, fence, 60);
    for (const [index, file] of files.entries())
      await this.upload(jobId, fence, index, file.filename, file.type, file.bytes);
    await this.report(jobId, fence, status, fields);
  }
}
