import type { EndpointResult, HttpInput } from './http.ts';

/** The runtime-neutral core of the handler: plain data in, plain data (or a host Response) out. */
export type Router = (input: HttpInput) => Promise<EndpointResult | undefined>;

/**
 * Where a handler made by `createHandler` keeps its router, for the
 * `node:http` bridge's fast path. A registered symbol, so the two entry
 * points (each bundled with its own copy of this module) agree on it; it is
 * not part of any public type.
 */
const key = Symbol.for('kraikub.adapter-http.router');

/** Attaches `router` to `handler` (not enumerable). */
export function linkRouter<H extends object>(handler: H, router: Router): H {
  Object.defineProperty(handler, key, { value: router });
  return handler;
}

/** The router of a handler made by `createHandler`, or `undefined` for any other function. */
export function routerOf(handler: unknown): Router | undefined {
  const router = (handler as { [key]?: unknown } | null)?.[key];
  return typeof router === 'function' ? (router as Router) : undefined;
}
