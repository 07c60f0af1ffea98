import { createHash } from 'node:crypto';
import { ComputeApi, startRunner, testPrefix } from './support';
import type { Runner } from '../../../src/compute/runner/runner';

const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

describe('compute engine end to end (real API over HTTP, a runner without Redis, bwrap sandbox)', () => {
  const prefix = testPrefix();
  let dispatcher: ComputeApi;
  let runner: Runner;

  beforeAll(async () => {
    dispatcher = await ComputeApi.start({ prefix });
    runner = await startRunner(dispatcher.url);
  });
  afterAll(async () => {
    await runner.stop();
    await dispatcher.close();
  });

  it(
    'runs a Node algorithm on a data: input through 1 → 10 → 20 → 30 → 40 → 60 → 70 and stores the ' +
      'exact output bytes',
    async () => {
      const input = Buffer.from([0, 1, 2, 250, 255, 10, 13]);
      const algorithm = `
      const fs = require('fs');
      const bytes = fs.readFileSync(process.env.INPUTS + '/0');
      fs.writeFileSync(process.env.OUTPUTS + '/reversed.bin', Buffer.from(bytes).reverse());
      fs.mkdirSync(process.env.OUTPUTS + '/sub');
      fs.writeFileSync(process.env.OUTPUTS + '/sub/a.txt', 'nested');
      console.log('read', bytes.length, 'bytes');
    `;
      const jobId = await dispatcher.dispatch(runner.config.provider, {
        algorithm,
        inputs: [`data:application/octet-stream;base64,${input.toString('base64')}`],
      });
      const seen: number[] = [];
      const done = await dispatcher.waitFor(jobId, (job) => {
        if (seen[seen.length - 1] !== job.status) seen.push(job.status);
        return job.status === 70;
      });
      expect(done.statusText).toBe('Job finished');
      expect((await dispatcher.readResult(jobId, 0))?.bytes.toString()).toBe('read 7 bytes\n');
      expect(done.exitCode).toBe(0);
      expect(done.reason).toBe('');
      expect(done.dateFinished).toMatch(/^\d+\.\d{3}$/);
      expect(done.runnerId).toBe(runner.config.runnerId);
      expect(done.results).toEqual([
        { filename: 'algorithm.log', filesize: 13, type: 'algorithmLog', index: 0, sha256: sha256('read 7 bytes\n') },
        {
          filename: 'reversed.bin',
          filesize: 7,
          type: 'output',
          index: 1,
          sha256: sha256(Buffer.from(input).reverse()),
        },
        { filename: 'sub/a.txt', filesize: 6, type: 'output', index: 2, sha256: sha256('nested') },
      ]);
      expect((await dispatcher.readResult(jobId, 1))?.bytes).toEqual(Buffer.from(input).reverse());
      expect((await dispatcher.readResult(jobId, 0))?.bytes.toString()).toBe('read 7 bytes\n');
      expect(await dispatcher.readResult(jobId, 3)).toBeUndefined();
      // Steps only move forward; the waiter may coalesce quick steps, but never reorders them.
      expect([...seen].sort((a, b) => a - b)).toEqual(seen);
      expect(seen[seen.length - 1]).toBe(70);
      // The live log holds what the algorithm printed.
      expect((await dispatcher.store.readLog(jobId)).tail.toString()).toContain('read 7 bytes');
    },
  );

  it('dispatching the same job id twice creates and runs it once', async () => {
    const jobId = await dispatcher.dispatch(runner.config.provider, {
      runtime: 'sh',
      entrypoint: ['sh', '$ALGO'],
      algorithm: 'echo once >> "$OUTPUTS/count"',
    });
    await dispatcher.waitForEnd(jobId);
    const again = await dispatcher.store.create({
      jobId,
      agreementId: 'x',
      owner: '0x1',
      provider: runner.config.provider,
      validToMs: 0,
      spec: { runtime: 'sh', entrypoint: [], algorithm: '', inputs: [], maxDurationSeconds: 1 },
    });
    expect(again).toBe(false);
    expect((await dispatcher.readResult(jobId, 1))?.bytes.toString()).toBe('once\n');
  });
});
