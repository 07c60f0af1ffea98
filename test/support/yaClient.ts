import { MarketApi } from 'ya-ts-client';
import { newParty, type Party } from './identities';
import { startTestInstance, type TestInstance } from './instance';

/** The published Market API client, built as golem-js builds it: base URL + the party's token as app key. */
export function yaClient(t: TestInstance, party: Party): MarketApi.Client {
  return new MarketApi.Client({ BASE: `${t.url}/market-api/v1`, TOKEN: party.token });
}

/** A requestor and a provider on one fresh instance, each with the published client. */
export interface YaMarket {
  t: TestInstance;
  requestorParty: Party;
  providerParty: Party;
  requestor: MarketApi.RequestorService;
  provider: MarketApi.ProviderService;
}

/**
 * Registers beforeAll/afterAll hooks that start an instance with two parties using ya-ts-client; the returned object
 * is filled before the first test runs.
 */
export function yaMarket(): YaMarket {
  const market = {} as YaMarket;
  beforeAll(async () => {
    market.t = await startTestInstance();
    market.requestorParty = await newParty(market.t);
    market.providerParty = await newParty(market.t);
    market.requestor = yaClient(market.t, market.requestorParty).requestor;
    market.provider = yaClient(market.t, market.providerParty).provider;
  });
  afterAll(() => market.t.close());
  return market;
}
