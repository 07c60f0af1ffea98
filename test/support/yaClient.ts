import { MarketApi } from 'ya-ts-client';
import type { Party } from './identities';
import type { TestInstance } from './instance';

/** The published Market API client, built as golem-js builds it: base URL + the party's token as app key. */
export function yaClient(t: TestInstance, party: Party): MarketApi.Client {
  return new MarketApi.Client({ BASE: `${t.url}/market-api/v1`, TOKEN: party.token });
}
