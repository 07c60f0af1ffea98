import type { Logger } from 'pino';
import { MarketApi } from 'ya-ts-client';
import { golemOfferOptions, golemOfferProperties } from '../golemOffer';
import {
  environmentFromOffer,
  misfit,
  offerConstraints,
  wantsActivity,
  offerProperties,
  packageMisfit,
  readWorkload,
  RunnerEnvironment,
} from '../workload';
import type { ProviderApiClient } from './apiClient';
import type { RunnerConfig } from './config';

/**
 * The runner's presence on the market, through the public Market API like any provider agent (so a runner on
 * another machine needs nothing but the API's URLs and its own key): it publishes its environment as an Offer,
 * counters demands whose workload fits and rejects the others with the reason, and approves the agreements made
 * from its proposals after checking the agreed workload once more. A lost offer (expired, 404) is re-published.
 */

export type Verdict = { accept: true } | { accept: false; reason: string };

/**
 * The negotiation policy: accept an activity rental, or a demand whose `bourse.job.*` workload is valid and fits the
 * environment.
 */
export function judgeDemand(properties: Record<string, unknown>, env: RunnerEnvironment): Verdict {
  if (wantsActivity(properties)) {
    const reason = packageMisfit(properties, env);
    return reason === undefined ? { accept: true } : { accept: false, reason };
  }
  const workload = readWorkload(properties);
  if (!workload.ok) return { accept: false, reason: workload.reason };
  const reason = misfit(workload.spec, env);
  return reason === undefined ? { accept: true } : { accept: false, reason };
}

const GiB = 1024 ** 3;

/** The environment a runner offers, from its configuration. */
export function environmentOf(config: RunnerConfig): RunnerEnvironment {
  return {
    cores: config.cores,
    memoryGiB: Math.round((config.memoryBytes / GiB) * 1000) / 1000,
    diskGiB: Math.round((config.diskBytes / GiB) * 1000) / 1000,
    runtimes: config.runtimes,
    commands: config.commands,
    maxDurationSeconds: config.maxJobDurationSeconds,
    maxInputBytes: config.maxInputBytes,
    priceCoeffs: config.priceCoeffs,
  };
}

export interface RunnerMarketOptions {
  /** The runner's API client: its provider identity's token and the API instances it fails over across. */
  api: ProviderApiClient;
  environment: RunnerEnvironment;
  log: Logger;
  /** Long-poll timeout of collectDemands, seconds. */
  pollSeconds?: number;
}

const RETRY_MS = 2000;

function statusOf(err: unknown): number | undefined {
  return err instanceof MarketApi.ApiError ? err.status : undefined;
}

class RunnerMarket {
  private running = true;
  private offerId: string | undefined;
  private client: MarketApi.Client | undefined;
  private clientBase = '';
  private inFlight: MarketApi.CancelablePromise<unknown> | undefined;
  private readonly done: Promise<void>;

  constructor(
    private readonly options: RunnerMarketOptions,
    private readonly me: string,
  ) {
    this.done = this.loop();
  }

  // golem offer properties: what golem-js's default demand needs (subnet, threads, name, payment platforms);
  // the options are read once, so a malformed variable stops the runner at start.
  private readonly golemOptions = golemOfferOptions(process.env);
  private readonly golemProperties = () =>
    golemOfferProperties({ address: this.me, cores: this.options.environment.cores }, this.golemOptions, Date.now());

  /** The Market API client of the API instance the runner currently talks to (rebuilt after a failover). */
  private async market(renewToken = false): Promise<MarketApi.ProviderService> {
    const { api } = this.options;
    if (!this.client || renewToken || this.clientBase !== api.baseUrl) {
      const token = await api.bearer(renewToken);
      this.clientBase = api.baseUrl;
      this.client = new MarketApi.Client({ BASE: new URL('/market-api/v1', this.clientBase).toString(), TOKEN: token });
    }
    return this.client.provider;
  }

  /** Tracks the pending long-poll so stop() can cancel it instead of waiting for its timeout. */
  private track<T>(call: MarketApi.CancelablePromise<T>): Promise<T> {
    this.inFlight = call as MarketApi.CancelablePromise<unknown>;
    return call;
  }

  private async loop(): Promise<void> {
    const { log, environment } = this.options;
    while (this.running) {
      try {
        const market = await this.market();
        if (!this.offerId) {
          this.offerId = (await market.subscribeOffer({
            properties: { ...offerProperties(environment), ...this.golemProperties() }, // golem offer properties
            constraints: offerConstraints(environment),
          })) as string;
          log.info({ offerId: this.offerId, provider: this.me }, 'runner offer published');
        }
        const events = await this.track(market.collectDemands(this.offerId, this.options.pollSeconds ?? 20, 20));
        for (const event of events) await this.handle(market, event as unknown as MarketEvent);
      } catch (err) {
        if (!this.running) return;
        const status = statusOf(err);
        if (status === 404) {
          this.offerId = undefined; // the offer expired or was removed: publish it again
          continue;
        }
        if (status === 401) await this.market(true).catch(() => undefined); // the token expired or was revoked
        // No answer at all: that instance is down; the offer lives in the shared store, so another one serves it.
        if (status === undefined) this.options.api.failover(this.clientBase);
        log.warn({ err: (err as Error).message, status }, 'runner market: call failed, retrying');
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS).unref());
      }
    }
  }

  private async handle(market: MarketApi.ProviderService, event: MarketEvent): Promise<void> {
    const { log, environment } = this.options;
    if (event.eventType === 'ProposalEvent' && event.proposal) {
      const proposal = event.proposal;
      if (proposal.issuerId.toLowerCase() === this.me || (proposal.state !== 'Draft' && proposal.state !== 'Initial'))
        return;
      const verdict = judgeDemand(proposal.properties, environment);
      await this.settle(
        verdict.accept
          ? market.counterProposalOffer(this.offerId!, proposal.proposalId, {
              properties: { ...offerProperties(environment), ...this.golemProperties() }, // golem offer properties
              constraints: offerConstraints(environment),
            })
          : market.rejectProposalDemand(this.offerId!, proposal.proposalId, { message: verdict.reason }),
      );
      log.info(
        { proposalId: proposal.proposalId, accepted: verdict.accept },
        verdict.accept ? 'demand countered' : `demand rejected: ${(verdict as { reason: string }).reason}`,
      );
    } else if (event.eventType === 'AgreementEvent' && event.agreement) {
      const { agreementId, demand, offer } = event.agreement;
      // Approve only what this runner offered (its own environment) and what still fits it.
      const offered = environmentFromOffer(offer.properties);
      const verdict = offered
        ? judgeDemand(demand.properties, environment)
        : { accept: false as const, reason: 'not a bourse-process offer' };
      await this.settle(
        verdict.accept
          ? market.approveAgreement(agreementId)
          : market.rejectAgreement(agreementId, { message: (verdict as { reason: string }).reason }),
      );
      log.info({ agreementId, approved: verdict.accept }, verdict.accept ? 'agreement approved' : 'agreement rejected');
    }
  }

  /** A reaction that lost a race (the requestor moved on: 404/409/410) is not an error of the runner. */
  private async settle(call: Promise<unknown>): Promise<void> {
    try {
      await call;
    } catch (err) {
      const status = statusOf(err);
      if (status === 404 || status === 409 || status === 410 || status === 400) {
        this.options.log.info({ status, err: (err as Error).message }, 'runner market: reaction refused');
        return;
      }
      throw err;
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    this.inFlight?.cancel();
    await this.done;
    if (this.offerId && this.client) await this.client.provider.unsubscribeOffer(this.offerId).catch(() => undefined);
  }
}

/** The negotiation events the runner reacts to (the ya-ts-client types leave the variants untyped). */
interface MarketEvent {
  eventType: string;
  proposal?: { proposalId: string; issuerId: string; state: string; properties: Record<string, unknown> };
  agreement?: {
    agreementId: string;
    demand: { properties: Record<string, unknown> };
    offer: { properties: Record<string, unknown> };
  };
}

/** Starts the runner's market presence; the returned function withdraws the offer and stops negotiating. */
export function startRunnerMarket(options: RunnerMarketOptions, provider: string): () => Promise<void> {
  const market = new RunnerMarket(options, provider.toLowerCase());
  return () => market.stop();
}
