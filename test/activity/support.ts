import type { Party } from '../support/identities';
import type { TestInstance } from '../support/instance';
import { agreement } from '../market/agreements/fixtures';

/** An Approved agreement between two fresh parties, through the Market API. */
export async function approvedAgreement(t: TestInstance): Promise<{ id: string; requestor: Party; provider: Party }> {
  const x = await agreement(t);
  if ((await x.requestor.confirm(x.id)).status !== 204) throw new Error('confirm failed');
  if ((await x.provider.approve(x.id)).status !== 204) throw new Error('approve failed');
  return { id: x.id, requestor: x.n.requestor, provider: x.n.provider };
}

/** An Approved agreement between the given parties, through the Market API; its id. */
export async function approvedAgreementOf(t: TestInstance, requestor: Party, provider: Party): Promise<string> {
  const x = await agreement(t, undefined, { requestor, provider });
  if ((await x.requestor.confirm(x.id)).status !== 204) throw new Error('confirm failed');
  if ((await x.provider.approve(x.id)).status !== 204) throw new Error('approve failed');
  return x.id;
}

/** Activity API calls as one party (plain HTTP). */
export function activityClient(t: TestInstance, party: Party) {
  const auth = `Bearer ${party.token}`;
  const base = '/activity-api/v1/activity';
  return {
    create: (agreementId: unknown) => t.request.post(base).set('Authorization', auth).send({ agreementId }),
    exec: (id: string, script: unknown[]) =>
      t.request
        .post(`${base}/${id}/exec`)
        .set('Authorization', auth)
        .send({ text: JSON.stringify(script) }),
    results: (id: string, batchId: string, query: Record<string, string | number> = {}) =>
      t.request.get(`${base}/${id}/exec/${batchId}`).set('Authorization', auth).query(query),
    state: (id: string) => t.request.get(`${base}/${id}/state`).set('Authorization', auth),
    usage: (id: string) => t.request.get(`${base}/${id}/usage`).set('Authorization', auth),
    agreement: (id: string) => t.request.get(`${base}/${id}/agreement`).set('Authorization', auth),
    destroy: (id: string) => t.request.delete(`${base}/${id}`).set('Authorization', auth),
    /** Any other GET under the activity API (e.g. `/activity/<id>/results/<name>`). */
    get: (pathUnderApi: string) => t.request.get(`/activity-api/v1${pathUnderApi}`).set('Authorization', auth),
  };
}

/** The provider API's activity section as one runner of `provider`. */
export function runnerClient(t: TestInstance, provider: Party, runnerId = 'runner-1') {
  const auth = `Bearer ${provider.token}`;
  const base = '/api/provider/v1/activities';
  return {
    claim: (timeout = 0, leaseMs = 5000, extra: Record<string, unknown> = {}) =>
      t.request
        .post(`${base}/claim`)
        .set('Authorization', auth)
        .query({ timeout })
        .send({ runnerId, leaseMs, ...extra }),
    report: (activityId: string, body: Record<string, unknown>) =>
      t.request
        .post(`${base}/${activityId}/report`)
        .set('Authorization', auth)
        .send({ leaseMs: 5000, ...body }),
  };
}

export function okResult(index: number, stdout: string, isBatchFinished: boolean) {
  return {
    index,
    eventDate: new Date().toISOString(),
    result: 'Ok',
    stdout,
    stderr: '',
    message: null,
    isBatchFinished,
  };
}
