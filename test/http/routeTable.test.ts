import { newParty } from '../support/identities';
import { startTestInstance, type TestInstance } from '../support/instance';
import { routeCapture } from './routes';

describe('routes split by first path segment', () => {
  const capture = routeCapture();
  let t: TestInstance;
  beforeAll(async () => {
    t = await startTestInstance({ extraRoutes: capture.extraRoutes });
  });
  afterAll(() => t.close());

  it("every route is in the router of its path's first segment (a misplaced one would never be reached)", () => {
    const faces = capture.table().entries();
    expect(faces.map(([segment]) => segment).sort()).toEqual([
      'activity-api',
      'api',
      'market-api',
      'payment-api',
      undefined,
    ]);
    const known = faces.flatMap(([segment]) => (segment === undefined ? [] : [segment]));
    for (const [segment, router] of faces)
      for (const layer of router.stack.filter((l) => l.methods.length > 0)) {
        const first = String(layer.path).split('/')[1].toLowerCase();
        expect({ path: layer.path, in: segment ?? 'rest' }).toEqual({
          path: layer.path,
          in: known.includes(first) ? first : 'rest',
        });
      }
  });

  it('matches the segment case-insensitively, as the routes themselves match', async () => {
    const party = await newParty(t);
    const res = await t.request.get('/MARKET-API/v1/offers').set('Authorization', `Bearer ${party.token}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual([]);
  });

  it('answers a method a face does not serve with 405 and an unknown path with 404', async () => {
    expect((await t.request.patch('/market-api/v1/offers')).status).toBe(405);
    expect((await t.request.get('/market-api/v1/nothing-here')).status).toBe(404);
    expect((await t.request.get('/nowhere')).status).toBe(404);
  });
});
