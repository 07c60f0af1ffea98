import Router from '@koa/router';
import Koa from 'koa';
import supertest from 'supertest';
import { routesBySegment } from '../../src/http/segmentRouting';

function app(): { request: ReturnType<typeof supertest>; testsOf: (path: string) => number } {
  const router = new Router();
  router.use(async (ctx, next) => {
    ctx.set('X-Seen', 'yes');
    await next();
  });
  router.get('/', (ctx) => (ctx.body = 'root'));
  router.get('/a/x', (ctx) => (ctx.body = 'get ax'));
  router.post('/a/x', (ctx) => (ctx.body = 'post ax'));
  router.get('/b/y', (ctx) => (ctx.body = 'by'));
  router.get('/:any/z', (ctx) => (ctx.body = `z under ${ctx.params.any}`));
  // Counts how often each route's pattern is tested, to show a request meets only its segment's routes.
  const tests = new Map<string, number>();
  for (const layer of router.stack) {
    const match = layer.match.bind(layer);
    layer.match = (path: string) => {
      tests.set(String(layer.path), (tests.get(String(layer.path)) ?? 0) + 1);
      return match(path);
    };
  }
  const koa = new Koa();
  koa.use(routesBySegment(router));
  return { request: supertest(koa.callback()), testsOf: (path) => tests.get(path) ?? 0 };
}

describe('routesBySegment', () => {
  it('serves every route as the router itself would, case-insensitively, middleware included', async () => {
    const { request } = app();
    const answers = await Promise.all(
      [
        request.get('/a/x'),
        request.post('/a/x'),
        request.get('/A/X'),
        request.get('/b/y'),
        request.get('/'),
        request.get('/c/z'),
        request.get('/a/z'),
      ].map(async (r) => {
        const res = await r;
        return [res.status, res.text, res.headers['x-seen']];
      }),
    );
    expect(answers).toEqual([
      [200, 'get ax', 'yes'],
      [200, 'post ax', 'yes'],
      [200, 'get ax', 'yes'],
      [200, 'by', 'yes'],
      [200, 'root', 'yes'],
      [200, 'z under c', 'yes'],
      [200, 'z under a', 'yes'],
    ]);
  });

  it('answers 405 with Allow for a method a path does not serve, 404 for an unknown path', async () => {
    const { request } = app();
    const wrong = await request.put('/a/x');
    expect([wrong.status, wrong.headers.allow]).toEqual([405, 'HEAD, GET, POST']);
    expect((await request.get('/nowhere')).status).toBe(404);
    expect((await request.get('/a/nothing')).status).toBe(404);
  });

  it("tests a request only against its segment's routes and those that may match under any segment", async () => {
    const { request, testsOf } = app();
    await request.get('/a/x');
    expect(testsOf('/a/x')).toBeGreaterThan(0);
    expect(testsOf('/:any/z')).toBeGreaterThan(0);
    expect(testsOf('/b/y')).toBe(0);
    expect(testsOf('/')).toBe(0);
  });
});
