import Router from '@koa/router';
import type { Middleware } from 'koa';

type Layer = Router['stack'][number];

/**
 * A router's routes, each request matched only against those under its path's first segment. @koa/router tests a
 * request against the pattern of every route it holds (about 150 here: 4–5% of a handshake's API CPU); split by the
 * segment, a market request is tested against the market's routes alone. Routes are registered on one router as
 * ever and split once, in order, when the app is built. A layer that may match under any segment (middleware, a
 * pattern or parameter first segment) goes into every part, so every request meets the layers it met before.
 */
export function routesBySegment(router: Router): Middleware {
  // Every part first, so a layer that goes into all of them lands in each before the routes registered after it.
  const parts = new Map<string, Router>();
  for (const layer of router.stack) {
    const segment = segmentOf(String(layer.path));
    if (!anywhere(layer) && !parts.has(segment)) parts.set(segment, new Router(router.opts));
  }
  const other = new Router(router.opts);
  for (const layer of router.stack) {
    if (anywhere(layer)) for (const part of [...parts.values(), other]) part.stack.push(layer);
    else parts.get(segmentOf(String(layer.path)))!.stack.push(layer);
  }
  const handlers = new Map([...parts].map(([segment, part]) => [segment, routed(part)]));
  const rest = routed(other);
  return (ctx, next) => (handlers.get(segmentOf(ctx.path)) ?? rest)(ctx, next);
}

/** The first segment of a path, lower case (routes match case-insensitively, @koa/router's default). */
function segmentOf(path: string): string {
  const end = path.indexOf('/', 1);
  return (end === -1 ? path.slice(1) : path.slice(1, end)).toLowerCase();
}

/** Whether a layer may match a path under any first segment. */
function anywhere(layer: Layer): boolean {
  return layer.methods.length === 0 || typeof layer.path !== 'string' || !/^[\w.~-]*$/.test(segmentOf(layer.path));
}

/** A router's routes, then its answer to methods they do not serve (what app.use of both does). */
function routed(router: Router): Middleware {
  const routes = router.routes() as unknown as Middleware;
  const allowed = router.allowedMethods() as unknown as Middleware;
  return (ctx, next) => routes(ctx, () => allowed(ctx, next));
}
