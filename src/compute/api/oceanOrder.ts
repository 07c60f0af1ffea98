import { Conflict, Invalid } from '../../kernel/errors';
import type { ComputeDataset, ComputeStartRequest } from '../../types/schemas';
import { JOB, RUNNER, type ComputeWorkloadOverride } from '../workload';

/** A job request in Bourse's terms: the approved agreement it runs under and the workload overrides. */
export interface OceanOrder {
  agreementId: string;
  override: ComputeWorkloadOverride;
}

/**
 * The dataset entries of a start request: ocean-node's `datasets[]` (C2D v2) when present (ocean.js also copies
 * its first entry into `dataset`, which must not count twice), otherwise Provider's `dataset` + `additionalDatasets`.
 */
export function datasetsOf(body: ComputeStartRequest): ComputeDataset[] {
  if (body.datasets !== undefined) return body.datasets;
  return [...(body.dataset ? [body.dataset] : []), ...(body.additionalDatasets ?? [])];
}

const hasUrl = (dataset: ComputeDataset): boolean => (dataset.url ?? dataset.fileObject?.url) !== undefined;

/**
 * The agreement a request runs under: `agreementId` when given; otherwise the Ocean order of the first dataset
 * (`transferTxId`, the transaction that paid for it, else `documentId`), since in Bourse the order is the agreement.
 */
function agreementOf(body: ComputeStartRequest, datasets: ComputeDataset[]): string {
  if (body.agreementId !== undefined) return body.agreementId;
  const first = datasets[0];
  const order = first?.transferTxId || first?.documentId;
  if (!order) {
    throw new Invalid(
      "Invalid request body: body must have required property 'agreementId', or name the approved agreement as " +
        'the order of the first dataset (datasets[0].transferTxId or datasets[0].documentId)',
    );
  }
  return order;
}

/**
 * Maps an Ocean computeStart / freeCompute body (ocean.js, ocean-node or Provider layout) onto Bourse's
 * {agreementId, overrides}. Only dataset entries carrying a URL are inputs (the others only name the order); with
 * none, the agreed inputs stay. The algorithm is raw code: `meta.rawcode` and `meta.container.entrypoint` override
 * the agreed ones, and an algorithm named only by its DID is refused, since Bourse cannot resolve DIDs.
 */
export function oceanOrder(body: ComputeStartRequest): OceanOrder {
  const datasets = datasetsOf(body);
  const agreementId = agreementOf(body, datasets);
  const algorithm = body.algorithm;
  if (algorithm?.documentId !== undefined && algorithm.meta?.rawcode === undefined) {
    throw new Invalid(
      'Invalid algorithm: Bourse runs raw code and cannot resolve an algorithm DID (algorithm.documentId); ' +
        'send the code in algorithm.meta.rawcode',
    );
  }
  const [first, ...rest] = datasets.filter(hasUrl);
  const override: ComputeWorkloadOverride = {};
  if (algorithm?.meta !== undefined) {
    const { rawcode, container } = algorithm.meta;
    override.algorithm = { meta: { rawcode, container: container && { entrypoint: container.entrypoint } } };
  }
  if (first !== undefined) override.dataset = first;
  if (rest.length > 0) override.additionalDatasets = rest;
  if (body.maxJobDuration !== undefined) override.maxJobDuration = body.maxJobDuration;
  return { agreementId, override };
}

/** What initializeCompute needs of the agreement an order names, as its requestor sees it. */
export interface OrderedAgreement {
  agreementId: string;
  state: string;
  providerId: string;
  demandProperties: Record<string, unknown>;
  offerProperties: Record<string, unknown>;
}

const numberAt = (properties: Record<string, unknown>, name: string): number => {
  const value = properties[name];
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
};

/**
 * The most a job of `durationSeconds` can cost under the agreement's linear price: start price + duration × (price
 * per second + price per cpu-second × cores), the cpu time being at most duration × cores.
 */
export function priceCeiling(agreement: OrderedAgreement, durationSeconds: number): number {
  const coeffs = agreement.offerProperties[RUNNER.priceCoeffs];
  const [perSecond = 0, perCpuSecond = 0, start = 0] = Array.isArray(coeffs) ? (coeffs as number[]) : [];
  const cores = numberAt(agreement.offerProperties, RUNNER.cores);
  return start + durationSeconds * (perSecond + perCpuSecond * cores);
}

/**
 * ocean-node's initializeCompute answer for an order: the approved agreement is the valid order of every dataset
 * and of the algorithm, paid already, so nothing is to be escrowed on a chain (`payment.amount` is the agreement's
 * price ceiling for the job, `payee` its provider). 409 when the agreement is not (or no longer) Approved.
 */
export function initializeAnswer(order: OceanOrder, agreement: OrderedAgreement, datasetCount: number): object {
  if (agreement.state !== 'Approved') {
    throw new Conflict(`Agreement ${agreement.agreementId} is ${agreement.state}, not Approved`);
  }
  const duration = order.override.maxJobDuration ?? numberAt(agreement.demandProperties, JOB.maxDuration);
  const validOrder = {
    datatoken: null,
    chainId: null,
    consumerAddress: agreement.providerId,
    validOrder: agreement.agreementId,
  };
  return {
    algorithm: validOrder,
    datasets: Array.from({ length: Math.max(1, datasetCount) }, () => ({ ...validOrder })),
    payment: {
      escrowAddress: null,
      payee: agreement.providerId,
      chainId: null,
      token: null,
      minLockSeconds: 0,
      amount: String(priceCeiling(agreement, duration)),
      pricing: { model: 'linear', coeffs: agreement.offerProperties[RUNNER.priceCoeffs] ?? [] },
    },
  };
}
