import { createCompute, type ComputeApi } from '../compute/api';
import type { Core, Lifecycle } from '../kernel/core';
import type { AgreementLookup, ApprovedAgreement } from '../market/agreements/handoff';
import { createAgreements } from '../market/agreementsModule';
import { MarketService } from '../market/module';

/** The domain services of one API instance, built once by the composition root. */
export interface ApiServices {
  market: MarketService;
  agreements: ReturnType<typeof createAgreements>['service'];
  compute: ComputeApi;
}

function jsonObject(text: string | undefined): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text ?? '');
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}

/**
 * Compute's view of an agreement, read from the market's agreement record. Temporary: the market's agreement
 * service answers this itself once it implements `AgreementLookup`; compute never reads the record.
 */
function agreementLookup(core: Core): AgreementLookup {
  return {
    async computeView(agreementId) {
      const raw = await core.redis.hgetall(core.keys.agreement(agreementId));
      if (!raw.id) return undefined;
      const agreement: ApprovedAgreement = {
        agreementId: raw.id,
        requestorId: (raw.requestorId ?? '').toLowerCase(),
        providerId: (raw.providerId ?? '').toLowerCase(),
        demandProperties: jsonObject(raw.demandProperties),
        offerProperties: jsonObject(raw.offerProperties),
        validToMs: Number(raw.validToMs) || Date.parse(raw.validTo ?? '') || 0,
        approvedAtMs: Date.parse(raw.approvedDate ?? '') || 0,
      };
      return { agreement, state: raw.state };
    },
  };
}

/** Builds every domain service of the API and lists their background work in start order. */
export function buildServices(core: Core): { services: ApiServices; lifecycles: Lifecycle[] } {
  const market = new MarketService(core);
  const agreements = createAgreements(core, market);
  const compute = createCompute(core, agreementLookup(core));
  return {
    services: { market, agreements: agreements.service, compute },
    lifecycles: [market, agreements, compute],
  };
}
