import { c2dV2Fields } from '../../src/compute/api/oceanEnvironment';
import { initializeAnswer, oceanOrder, priceCeiling, type OrderedAgreement } from '../../src/compute/api/oceanOrder';
import { DomainError } from '../../src/kernel/errors';
import type { ComputeStartRequest } from '../../src/types/schemas';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const ALGORITHM = { meta: { rawcode: 'print(1)', container: { entrypoint: 'python3 $ALGO', image: 'x', tag: 'y' } } };

function refusal(body: ComputeStartRequest): { kind: string; message: string } {
  try {
    oceanOrder(body);
  } catch (err) {
    if (err instanceof DomainError) return { kind: err.kind, message: err.message };
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('oceanOrder: an Ocean computeStart body in Bourse terms', () => {
  it('ocean.js layout: the agreement is datasets[0].transferTxId; only URL entries are inputs, counted once', () => {
    const first = { documentId: 'did:op:1', serviceId: 's', transferTxId: A, fileObject: { url: 'data:,one' } };
    const second = { documentId: 'did:op:2', serviceId: 's' };
    const third = { url: 'https://example.org/three' };
    const body = { dataset: first, datasets: [first, second, third], algorithm: ALGORITHM, maxJobDuration: 30 };
    expect(oceanOrder(body)).toEqual({
      agreementId: A,
      override: {
        algorithm: { meta: { rawcode: 'print(1)', container: { entrypoint: 'python3 $ALGO' } } },
        dataset: first,
        additionalDatasets: [third],
        maxJobDuration: 30,
      },
    });
  });

  it('documentId names the agreement when there is no transferTxId; agreementId wins over both', () => {
    expect(oceanOrder({ datasets: [{ documentId: A }] }).agreementId).toBe(A);
    expect(oceanOrder({ datasets: [{ documentId: A, transferTxId: '' }] }).agreementId).toBe(A);
    expect(oceanOrder({ agreementId: B, datasets: [{ transferTxId: A }] }).agreementId).toBe(B);
  });

  it('Provider v1 layout: dataset + additionalDatasets', () => {
    const body = { dataset: { transferTxId: A }, additionalDatasets: [{ url: 'data:,x' }, { documentId: 'did' }] };
    expect(oceanOrder(body)).toEqual({ agreementId: A, override: { dataset: { url: 'data:,x' } } });
  });

  it('without URL entries the agreed inputs stay (no dataset override)', () => {
    expect(oceanOrder({ datasets: [{ transferTxId: A }] })).toEqual({ agreementId: A, override: {} });
  });

  it('no agreement reference, or an algorithm named only by DID: a clear 400', () => {
    for (const body of [{}, { datasets: [] }, { datasets: [{ serviceId: 's' }] }, { dataset: { url: 'data:,x' } }]) {
      expect(refusal(body)).toEqual({ kind: 'invalid', message: expect.stringContaining("'agreementId'") });
    }
    const byDid = { datasets: [{ transferTxId: A }], algorithm: { documentId: 'did:op:alg', serviceId: 's' } };
    expect(refusal(byDid)).toEqual({ kind: 'invalid', message: expect.stringContaining('algorithm DID') });
    // A DID with the raw code is fine: the code is what runs.
    const withCode = { datasets: [{ transferTxId: A }], algorithm: { documentId: 'did:op:alg', ...ALGORITHM } };
    expect(oceanOrder(withCode).override.algorithm?.meta?.rawcode).toBe('print(1)');
  });
});

describe('initializeCompute answer and C2D v2 environment fields', () => {
  const agreement: OrderedAgreement = {
    agreementId: A,
    state: 'Approved',
    providerId: '0xprovider',
    demandProperties: { 'bourse.job.maxDuration': 100 },
    offerProperties: { 'golem.com.pricing.model.linear.coeffs': [0.01, 0.1, 2], 'golem.inf.cpu.cores': 4 },
  };

  it('the price ceiling is start + duration × (per second + per cpu-second × cores)', () => {
    expect(priceCeiling(agreement, 100)).toBeCloseTo(2 + 100 * (0.01 + 0.1 * 4));
    expect(priceCeiling({ ...agreement, offerProperties: {} }, 100)).toBe(0);
  });

  it('the agreement is the valid order of each dataset; a job duration in the order sets the price', () => {
    const answer = initializeAnswer({ agreementId: A, override: { maxJobDuration: 10 } }, agreement, 2) as {
      datasets: unknown[];
      payment: { amount: string; payee: string };
    };
    expect(answer.datasets).toEqual([
      { datatoken: null, chainId: null, consumerAddress: '0xprovider', validOrder: A },
      { datatoken: null, chainId: null, consumerAddress: '0xprovider', validOrder: A },
    ]);
    expect(Number(answer.payment.amount)).toBeCloseTo(2 + 10 * 0.41);
    expect(answer.payment.payee).toBe('0xprovider');
  });

  it('an agreement that is not Approved is 409', () => {
    expect(() => initializeAnswer({ agreementId: A, override: {} }, { ...agreement, state: 'Terminated' }, 1)).toThrow(
      expect.objectContaining({ kind: 'conflict' }),
    );
  });

  it('resources are cpu, ram and disk; inUse is the share of job slots taken', () => {
    const beat = {
      runnerId: 'r',
      provider: '0xp',
      cores: 8,
      memoryGiB: 4,
      diskGiB: 20,
      maxJobDuration: 60,
      price: [0, 0, 0] as [number, number, number],
      currentJobs: 3,
      maxJobs: 4,
      lastSeenMs: 0,
      heartbeatMs: 1000,
    };
    const fields = c2dV2Fields(beat, { architecture: 'arm64', os: 'linux' });
    expect(fields).toEqual({
      runningJobs: 3,
      fees: {},
      resources: [
        { id: 'cpu', total: 8, min: 1, max: 8, inUse: 6 },
        { id: 'ram', total: 4, min: 0, max: 4, inUse: 3 },
        { id: 'disk', total: 20, min: 0, max: 20, inUse: 15 },
      ],
      free: { maxJobDuration: 60, maxJobs: 4, resources: fields.resources },
      platform: { architecture: 'arm64', os: 'linux' },
    });
    expect(c2dV2Fields({ ...beat, maxJobs: 0 }).resources[0].inUse).toBe(0);
  });
});
