import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { RequestState } from '../../src/http/requestState';

/** A server that hands each request's RequestState and response to `onRequest`, which answers (or not) itself. */
async function serve(onRequest: (state: RequestState, res: http.ServerResponse) => void): Promise<{
  url: string;
  close(): Promise<void>;
}> {
  const server = http.createServer((_req, res) =>
    onRequest(new RequestState('r1', pino({ level: 'silent' }), res), res),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('RequestState', () => {
  it('an abort signal first asked for after the client left is aborted already', async () => {
    let seen!: (aborted: boolean) => void;
    const aborted = new Promise<boolean>((resolve) => (seen = resolve));
    const server = await serve((state, res) => res.once('close', () => setImmediate(() => seen(state.abort.aborted))));
    const req = http.get(server.url).on('error', () => undefined);
    req.once('socket', (socket) => socket.once('connect', () => setImmediate(() => req.destroy())));
    expect(await aborted).toBe(true);
    await server.close();
  });

  it('the signal fires when the client leaves while waiting, not when the response completes', async () => {
    const states: RequestState[] = [];
    let waiting!: () => void;
    const registered = new Promise<void>((resolve) => (waiting = resolve));
    const server = await serve((state, res) => {
      states.push(state);
      if (states.length === 1) {
        state.abort.addEventListener('abort', () => undefined);
        waiting();
      } else {
        void state.abort;
        res.end('done');
      }
    });
    const left = http.get(server.url).on('error', () => undefined);
    await registered;
    const aborted = new Promise((resolve) => states[0].abort.addEventListener('abort', resolve));
    left.destroy();
    await aborted;
    const body = await (await fetch(server.url)).text();
    expect(body).toBe('done');
    expect(states[1].abort.aborted).toBe(false);
    await server.close();
  });

  it('hooks run with the signal when it is first asked for, or at once when it exists', () => {
    const state = new RequestState(
      'r1',
      pino({ level: 'silent' }),
      new http.ServerResponse(new http.IncomingMessage(null as never)),
    );
    const got: AbortSignal[] = [];
    state.onAbortSignal((signal) => got.push(signal));
    expect(got).toHaveLength(0); // nothing asked for the signal: none is made
    const signal = state.abort;
    state.onAbortSignal((s) => got.push(s));
    expect(got).toEqual([signal, signal]);
  });
});
