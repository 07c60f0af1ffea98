import type Router from '@koa/router';
import type { Core } from '../../src/kernel/core';

/** One path template the API serves, with the methods it answers (HEAD comes with GET). */
export interface ServedRoute {
  path: string;
  methods: string[];
  params: string[];
}

/**
 * Starts capturing the router an instance mounts its routes on: pass `extraRoutes` to startTestInstance, then
 * `routes()` lists every route the API serves, read from the router itself so new routes are covered by default.
 */
export function routeCapture(extra?: (router: Router, core: Core) => void) {
  let captured: Router | undefined;
  return {
    extraRoutes: (router: Router, core: Core): void => {
      captured = router;
      extra?.(router, core);
    },
    /** The API's routes (test-only routes under /probe left out), one entry per path template. */
    routes(): ServedRoute[] {
      if (!captured) throw new Error('the instance has not mounted its routes yet');
      const byPath = new Map<string, ServedRoute>();
      for (const layer of captured.stack) {
        const path = String(layer.path);
        if (path.startsWith('/probe') || layer.methods.length === 0) continue;
        const route = byPath.get(path) ?? {
          path,
          methods: [],
          params: layer.paramNames.map((key) => String(key.name)),
        };
        route.methods = [...new Set([...route.methods, ...layer.methods])];
        byPath.set(path, route);
      }
      return [...byPath.values()];
    },
    /** Methods some route answers for a concrete path (what an Allow header lists). */
    allowed(path: string): string[] {
      const methods = new Set<string>();
      for (const layer of captured?.stack ?? []) if (layer.match(path)) layer.methods.forEach((m) => methods.add(m));
      return [...methods].sort();
    },
  };
}

/** The template with every parameter replaced by `value(name)`. */
export function fillPath(route: ServedRoute, value: (param: string) => string): string {
  return route.path.replace(/:(\w+)/g, (_, name: string) => value(name));
}
