import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Wallet } from 'ethers';
import { ComputeApi, startRunner, tempDir, testPrefix } from './support';
import type { Runner } from '../../../src/compute/runner/runner';

/** An algorithm that tries to escape and reports each attempt's outcome as JSON in outputs/report.json. */
function probe(port: number, outsideFile: string, keyFile: string): string {
  return `
    const fs = require('fs');
    const net = require('net');
    const report = {};
    const attempt = (name, fn) => { try { fn(); report[name] = 'ok'; } catch (e) { report[name] = e.code || e.message; } };
    attempt('writeOutside', () => fs.writeFileSync(${JSON.stringify(outsideFile)}, 'pwned'));
    attempt('writeSystem', () => fs.writeFileSync('/usr/bourse-pwned', 'pwned'));
    attempt('writeInputs', () => fs.writeFileSync(process.env.INPUTS + '/x', 'pwned'));
    attempt('readKey', () => { report.key = fs.readFileSync(${JSON.stringify(keyFile)}, 'utf8'); });
    attempt('writeJobDir', () => fs.writeFileSync(process.env.OUTPUTS + '/../scratch', 'fine'));
    const socket = net.connect(${port}, '127.0.0.1');
    socket.on('connect', () => { report.connect = 'ok'; done(); });
    socket.on('error', (e) => { report.connect = e.code; done(); });
    function done() { fs.writeFileSync(process.env.OUTPUTS + '/report.json', JSON.stringify(report)); process.exit(0); }
  `;
}

describe('the bwrap sandbox', () => {
  const prefix = testPrefix();
  let dispatcher: ComputeApi;
  let server: net.Server;
  let connections = 0;
  let port: number;
  const keyDir = tempDir('key');
  const keyFile = path.join(keyDir, 'runner.key');
  const privateKey = Wallet.createRandom().privateKey;

  beforeAll(async () => {
    dispatcher = await ComputeApi.start({ prefix });
    fs.writeFileSync(keyFile, privateKey, { mode: 0o600 });
    server = net.createServer((socket) => {
      connections++;
      socket.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as net.AddressInfo).port;
  });
  afterAll(async () => {
    await dispatcher.close();
    await new Promise((resolve) => server.close(resolve));
  });

  async function runProbe(sandbox: 'bwrap' | 'none'): Promise<{ report: Record<string, string>; outsideFile: string }> {
    const runner: Runner = await startRunner(dispatcher.url, {
      env: { BOURSE_SANDBOX: sandbox, BOURSE_RUNNER_KEY_FILE: keyFile, BOURSE_RUNNER_PRIVATE_KEY: '' },
    });
    try {
      const outsideFile = path.join(tempDir('outside'), 'pwned');
      const jobId = await dispatcher.dispatch(runner.config.provider, { algorithm: probe(port, outsideFile, keyFile) });
      const job = await dispatcher.waitForEnd(jobId);
      expect(job.status).toBe(70);
      const entry = job.results.find((r) => r.filename === 'report.json');
      const bytes = (await dispatcher.readResult(jobId, entry?.index ?? -1))?.bytes;
      return { report: JSON.parse(bytes?.toString() ?? '{}') as Record<string, string>, outsideFile };
    } finally {
      await runner.stop();
    }
  }

  it('blocks network, writes outside the job directory and reading the runner key file', async () => {
    connections = 0;
    const { report, outsideFile } = await runProbe('bwrap');
    expect(report.connect).toMatch(/ECONNREFUSED|ENETUNREACH|EACCES|EPERM/);
    expect(connections).toBe(0);
    expect(report.writeOutside).toBe('ENOENT');
    expect(fs.existsSync(outsideFile)).toBe(false);
    expect(report.writeSystem).toMatch(/EROFS|EACCES/);
    expect(report.writeInputs).toMatch(/EROFS|EACCES/);
    expect(report.readKey).toBe('ENOENT');
    expect(report.key).toBeUndefined();
    expect(report.writeJobDir).toBe('ok');
  });

  it('(control) the same probe without the sandbox does escape, so the checks above can fail', async () => {
    connections = 0;
    const { report, outsideFile } = await runProbe('none');
    expect(report.connect).toBe('ok');
    expect(connections).toBe(1);
    expect(report.writeOutside).toBe('ok');
    expect(fs.existsSync(outsideFile)).toBe(true);
    expect(report.key).toBe(privateKey);
  });

  it(
    'result filenames never leave the outputs directory: symlinks planted by the algorithm are not ' + 'followed',
    async () => {
      const runner: Runner = await startRunner(dispatcher.url, {
        env: { BOURSE_RUNNER_KEY_FILE: keyFile, BOURSE_RUNNER_PRIVATE_KEY: '' },
      });
      try {
        const algorithm = `
        const fs = require('fs');
        fs.symlinkSync('/etc/passwd', process.env.OUTPUTS + '/passwd');
        fs.symlinkSync('/etc', process.env.OUTPUTS + '/etc');
        fs.writeFileSync(process.env.OUTPUTS + '/ok.txt', 'ok');
      `;
        const jobId = await dispatcher.dispatch(runner.config.provider, { algorithm });
        const job = await dispatcher.waitForEnd(jobId);
        expect(job.status).toBe(70);
        expect(job.results.map((r) => r.filename)).toEqual(['algorithm.log', 'ok.txt']);
      } finally {
        await runner.stop();
      }
    },
  );
});
