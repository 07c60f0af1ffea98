import { GolemNetwork } from '@golem-sdk/golem-js';
import { startTestInstance, TestInstance } from '../support/instance';
import { until } from '../support/wait';
import { appKeyParty, requestCount, routeCount } from './support';

/**
 * The published golem-js 3.x, unchanged, connects to Bourse with an app key: version check, identity, the three
 * event readers (agreement, debit-note and invoice long-polls), and disconnects cleanly.
 */
describe('golem-js connects with an app key', () => {
  let t: TestInstance;
  let party: { address: string; key: string };
  let glm: GolemNetwork;

  beforeAll(async () => {
    t = await startTestInstance();
    party = await appKeyParty(t);
    glm = new GolemNetwork({ api: { key: party.key, url: t.url } });
  });
  afterAll(async () => {
    await glm.disconnect();
    await t.close();
  });

  it('connect() succeeds and reports the app key identity', async () => {
    const connected = new Promise<void>((resolve) => glm.events.once('connected', () => resolve()));
    await glm.connect();
    await connected;
    expect(glm.isConnected()).toBe(true);
    const payer = await glm.payment.getPayerDetails();
    expect(payer.address).toBe(party.address);
  });

  it('connected and idle for 10 s, makes fewer than 30 requests (real long-polls, no retry storm)', async () => {
    const before = await requestCount(t);
    const invoicePollsBefore = await routeCount(t, '/payment-api/v1/invoiceEvents');
    await new Promise((resolve) => setTimeout(resolve, 10_000)); // the idle period under measurement
    const made = (await requestCount(t)) - before;
    expect(made).toBeLessThan(30);
    // The readers are alive: each 5 s long-poll completed about twice, and none answered an error.
    expect((await routeCount(t, '/payment-api/v1/invoiceEvents')) - invoicePollsBefore).toBeGreaterThanOrEqual(1);
    const metric = await t.instance.core.metrics.httpRequests.get();
    expect(metric.values.filter((v) => Number(v.labels.status) >= 400)).toEqual([]);
  }, 20_000);

  it('disconnect() finishes and leaves no long-poll open on the server', async () => {
    await glm.disconnect();
    expect(glm.isConnected()).toBe(false);
    const { waiter } = t.instance.core;
    // The server sees each cancelled poll's socket close and releases its registration.
    await until(() => waiter.openRegistrations === 0, 'every long-poll of the client released', 6000);
  });
});
