import { startTestInstance, type TestInstance } from '../support/instance';
import { fillPath, routeCapture } from './routes';

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'];

describe('answers to methods a path does not serve', () => {
  const capture = routeCapture();
  let t: TestInstance;
  beforeAll(async () => {
    t = await startTestInstance({ extraRoutes: capture.extraRoutes });
  });
  afterAll(() => t.close());

  it('answers a method a route does not serve with 405 JSON and an Allow header, on every route', async () => {
    const routes = capture.routes();
    expect(routes.length).toBeGreaterThan(30);
    let checked = 0;
    for (const route of routes) {
      const path = fillPath(route, () => 'x1');
      const allowed = capture.allowed(path);
      for (const method of METHODS.filter((m) => !allowed.includes(m))) {
        const res = await t.request[method.toLowerCase() as 'get'](path);
        const seen = {
          route: `${method} ${route.path}`,
          status: res.status,
          json: /application\/json/.test(res.headers['content-type'] ?? ''),
          allow: (res.headers.allow ?? '').split(/,\s*/).sort(),
        };
        expect(seen).toEqual({ route: seen.route, status: 405, json: true, allow: allowed });
        expect(res.body.message).toBe(`Method ${method} is not allowed on ${path}`);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(100);
  });

  it('answers a method unknown to HTTP with 405 and Allow on a served path, 404 elsewhere (never 501)', async () => {
    const known = await t.request.propfind('/health');
    expect(known.status).toBe(405);
    expect(known.headers['content-type']).toMatch(/application\/json/);
    expect(known.headers.allow).toBe('HEAD, GET');
    expect(known.body.message).toBe('Method PROPFIND is not allowed on /health');
    const unknown = await t.request.propfind('/no/such/path');
    expect(unknown.status).toBe(404);
    expect(unknown.body.message).toContain('/no/such/path');
  });
});
