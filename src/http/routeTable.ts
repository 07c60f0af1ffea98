import Router from '@koa/router';
import type { Middleware } from 'koa';

/**
 * The API's routes split by the first segment of their path. @koa/router tests a request against the pattern of every
 * route it holds (about 150 here, 4–5% of a handshake's API CPU), so each face has its own router and a request is
 * matched against its face's routes only. Paths under no face's segment go to `rest`.
 */
export class RouteTable {
  readonly rest = new Router();
  private readonly faces = new Map<string, Router>();

  /** The router of the paths under `/${segment}` (one per segment, made on first use). */
  face(segment: string): Router {
    const key = segment.toLowerCase();
    let router = this.faces.get(key);
    if (!router) {
      router = new Router();
      this.faces.set(key, router);
    }
    return router;
  }

  /** Every router with the segment it serves (`undefined`: the rest). */
  entries(): Array<[string | undefined, Router]> {
    return [...this.faces, [undefined, this.rest]];
  }

  /** Hands a request to its face's router (it answers 405 with Allow for a method it does not serve) or to `rest`. */
  middleware(): Middleware {
    const handlers = new Map<string, Middleware>();
    for (const [segment, router] of this.faces) handlers.set(segment, routed(router));
    const rest = routed(this.rest);
    return (ctx, next) => {
      const path = ctx.path;
      const end = path.indexOf('/', 1);
      // Routes match case-insensitively (@koa/router's default), so the segment does too.
      const segment = (end === -1 ? path.slice(1) : path.slice(1, end)).toLowerCase();
      return (handlers.get(segment) ?? rest)(ctx, next);
    };
  }
}

/** A router's routes, then its answer to methods they do not serve (what app.use of both does). */
function routed(router: Router): Middleware {
  const routes = router.routes() as unknown as Middleware;
  const allowed = router.allowedMethods() as unknown as Middleware;
  return (ctx, next) => routes(ctx, () => allowed(ctx, next));
}
