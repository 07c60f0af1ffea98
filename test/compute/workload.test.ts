import fs from 'node:fs';
import path from 'node:path';
import {
  applyOverride,
  environmentFromOffer,
  hasJobProperties,
  JOB,
  jobProperties,
  jobSpecFromProperties,
  misfit,
  offerConstraints,
  offerProperties,
} from '../../src/compute/workload';
import { runtimeOfPackage, runtimePackage } from '../../src/compute/runtimePackages';
import { judgeDemand } from '../../src/compute/runner/agent';
import { Invalid } from '../../src/kernel/errors';
import { compileSubscription, match } from '../../src/market/constraints';
import { ECHO_SPEC, TEST_ENVIRONMENT } from './api/fixtures';

describe('workload in the negotiation (bourse.job.* / bourse.runner.*)', () => {
  it('round-trips a job spec through demand properties', () => {
    expect(jobSpecFromProperties(jobProperties(ECHO_SPEC))).toEqual(ECHO_SPEC);
    expect(hasJobProperties(jobProperties(ECHO_SPEC))).toBe(true);
    expect(hasJobProperties({ 'golem.srv.comp.expiration': 1 })).toBe(false);
  });

  it('defaults the entrypoint to [runtime, $ALGO] and the inputs to none', () => {
    const spec = jobSpecFromProperties({
      [JOB.runtime]: 'node',
      [JOB.algorithm]: 'console.log(1)',
      [JOB.maxDuration]: 5,
    });
    expect(spec).toEqual({
      runtime: 'node',
      entrypoint: ['node', '$ALGO'],
      algorithm: 'console.log(1)',
      inputs: [],
      maxDurationSeconds: 5,
    });
  });

  it.each([
    [{ [JOB.runtime]: 'node; rm -rf /' }, JOB.runtime],
    [{ [JOB.entrypoint]: 'node $ALGO' }, JOB.entrypoint],
    [{ [JOB.entrypoint]: [] }, JOB.entrypoint],
    [{ [JOB.algorithm]: '' }, JOB.algorithm],
    [{ [JOB.inputs]: ['file:///etc/passwd'] }, `${JOB.inputs}[0]`],
    [{ [JOB.inputs]: ['not a url'] }, `${JOB.inputs}[0]`],
    [{ [JOB.maxDuration]: 1.5 }, JOB.maxDuration],
    [{ [JOB.maxDuration]: undefined }, JOB.maxDuration],
  ])('rejects %j with a 400 naming %s', (change, name) => {
    const properties = { ...jobProperties(ECHO_SPEC), ...change };
    expect(() => jobSpecFromProperties(properties)).toThrow(Invalid);
    expect(() => jobSpecFromProperties(properties)).toThrow(name);
  });

  it('applies Ocean overrides: rawcode, a whitespace-split entrypoint, dataset URLs, a shorter duration', () => {
    const spec = applyOverride(ECHO_SPEC, {
      algorithm: { meta: { rawcode: 'echo hi', container: { entrypoint: 'sh  $ALGO' } } },
      dataset: { url: 'https://example.org/a' },
      additionalDatasets: [{ fileObject: { url: 'data:,b' } }],
      maxJobDuration: 10,
    });
    expect(spec).toEqual({
      runtime: 'sh',
      entrypoint: ['sh', '$ALGO'],
      algorithm: 'echo hi',
      inputs: ['https://example.org/a', 'data:,b'],
      maxDurationSeconds: 10,
    });
    expect(applyOverride(ECHO_SPEC, {})).toEqual(ECHO_SPEC);
  });

  it('refuses overrides beyond the agreement', () => {
    expect(() => applyOverride(ECHO_SPEC, { maxJobDuration: ECHO_SPEC.maxDurationSeconds + 1 })).toThrow(
      'must not exceed',
    );
    expect(() => applyOverride(ECHO_SPEC, { dataset: {} })).toThrow('dataset must carry');
    expect(() => applyOverride(ECHO_SPEC, { additionalDatasets: [{ url: 'file:///x' }] })).toThrow(
      'additionalDatasets[0].url',
    );
  });

  it('publishes the environment as Offer properties and reads it back', () => {
    const props = offerProperties(TEST_ENVIRONMENT);
    expect(props['golem.runtime.name']).toBe('bourse-process');
    expect(props['golem.com.pricing.model']).toBe('linear');
    expect(environmentFromOffer(props)).toEqual(TEST_ENVIRONMENT);
    expect(environmentFromOffer({ 'golem.runtime.name': 'vm' })).toBeUndefined();
  });

  it('says why a job does not fit an environment', () => {
    expect(misfit(ECHO_SPEC, TEST_ENVIRONMENT)).toBeUndefined();
    expect(misfit({ ...ECHO_SPEC, runtime: 'python3' }, TEST_ENVIRONMENT)).toContain('runtime "python3"');
    expect(misfit({ ...ECHO_SPEC, entrypoint: ['bash', '$ALGO'] }, TEST_ENVIRONMENT)).toContain('command "bash"');
    expect(misfit({ ...ECHO_SPEC, maxDurationSeconds: 601 }, TEST_ENVIRONMENT)).toContain('exceeds');
  });

  it('lets the market refuse by constraint what the runner would not run', () => {
    const offer = compileSubscription({
      id: 'offer',
      properties: offerProperties(TEST_ENVIRONMENT),
      constraints: offerConstraints(TEST_ENVIRONMENT),
    });
    const demandOf = (spec: typeof ECHO_SPEC) =>
      compileSubscription({
        id: 'demand',
        properties: jobProperties(spec),
        constraints: '(golem.runtime.name=bourse-process)',
      });
    expect(match(demandOf(ECHO_SPEC), offer)).toBe('Yes');
    expect(match(demandOf({ ...ECHO_SPEC, runtime: 'python3' }), offer)).toBe('No');
    expect(match(demandOf({ ...ECHO_SPEC, maxDurationSeconds: 601 }), offer)).toBe('No');
  });

  it('matches an activity rental only to a runner serving the runtime its task package names', () => {
    const offer = compileSubscription({
      id: 'offer',
      properties: offerProperties(TEST_ENVIRONMENT),
      constraints: offerConstraints(TEST_ENVIRONMENT),
    });
    const rental = (taskPackage: string) => ({ 'golem.srv.comp.task_package': taskPackage });
    const demandOf = (taskPackage: string) =>
      compileSubscription({ id: 'demand', properties: rental(taskPackage), constraints: '()' });
    const node = runtimePackage('node');
    // golem-js states imageUrl + imageHash as hash:sha3:<imageHash>:<imageUrl>.
    expect(node.taskPackage).toBe(`hash:sha3:${node.imageHash}:${node.imageUrl}`);
    expect(node.imageHash).toMatch(/^[0-9a-f]{56}$/);
    expect(offerProperties(TEST_ENVIRONMENT)['bourse.runner.taskPackages']).toEqual([
      node.taskPackage,
      runtimePackage('sh').taskPackage,
    ]);
    expect(match(demandOf(node.taskPackage), offer)).toBe('Yes');
    expect(match(demandOf(runtimePackage('python3').taskPackage), offer)).toBe('No');
    const foreign = `hash:sha3:${'0'.repeat(56)}:http://127.0.0.1/some.gvmi`;
    expect(match(demandOf(foreign), offer)).toBe('No');
    // The runner's policy says the same, with the reason, should a demand reach it anyway.
    expect(judgeDemand(rental(node.taskPackage), TEST_ENVIRONMENT)).toEqual({ accept: true });
    expect(judgeDemand(rental(foreign), TEST_ENVIRONMENT)).toMatchObject({
      accept: false,
      reason: expect.stringContaining('serves: node, sh') as unknown,
    });
    expect(runtimeOfPackage(node.taskPackage)).toBe('node');
    expect(runtimeOfPackage(`hash:sha3:${'0'.repeat(56)}:bourse://runtime/node`)).toBeUndefined();
  });

  it("README's runtime table states each runtime's package as runtimePackage computes it", () => {
    const readme = fs.readFileSync(path.join(__dirname, '../../README.md'), 'utf8');
    for (const runtime of ['node', 'sh', 'python3']) {
      const { imageUrl, imageHash } = runtimePackage(runtime);
      expect(readme).toContain(`| \`${runtime}\` | \`${imageUrl}\` | \`${imageHash}\` |`);
    }
  });
});
