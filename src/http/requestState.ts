import type { ServerResponse } from 'node:http';
import type { Logger } from 'pino';

/**
 * What the middleware leaves on `ctx.state` for the routes: one class for every request, so V8 gives every request's
 * state one shape. (A getter added per request with Object.defineProperty made each state its own shape, and every
 * later read of it a slow lookup.) What few requests use is built on first use: the child logger, and the abort
 * signal only long-polls and streams need.
 */
export class RequestState {
  /** The authenticated party (lower-case 0x address), once an auth middleware has run. */
  identity?: string;
  private child?: Logger;
  private controller?: AbortController;
  private signalHooks?: Array<(signal: AbortSignal) => void>;

  constructor(
    readonly requestId: string,
    private readonly baseLog: Logger,
    private readonly res: ServerResponse,
  ) {}

  /** The request's logger (its lines carry the request id). */
  get log(): Logger {
    return (this.child ??= this.baseLog.child({ requestId: this.requestId }));
  }

  /**
   * Fires when the client goes away before the response is sent, so a long-poll releases its subscription at once
   * instead of waiting out its timeout.
   */
  get abort(): AbortSignal {
    if (this.controller) return this.controller.signal;
    const controller = new AbortController();
    this.controller = controller;
    const res = this.res;
    // `destroyed` is set as the connection closes: a client that left before anything asked for the signal.
    if (res.destroyed && !res.writableFinished) controller.abort();
    else
      res.once('close', () => {
        if (!res.writableFinished) controller.abort();
      });
    for (const hook of this.signalHooks ?? []) hook(controller.signal);
    return controller.signal;
  }

  /** Calls `hook` with the abort signal when something first asks for it (at once if something already has). */
  onAbortSignal(hook: (signal: AbortSignal) => void): void {
    if (this.controller) hook(this.controller.signal);
    else (this.signalHooks ??= []).push(hook);
  }
}
