/** The market bench's HTTP client: one keep-alive agent, JSON in and out. */
import http from 'node:http';

export const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });

interface Reply {
  status: number;
  body: unknown;
}

export function call(base: string, token: string, method: string, path: string, body?: unknown): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      `${base}/market-api/v1${path}`,
      {
        method,
        agent,
        headers: { Authorization: `Bearer ${token}`, ...(payload ? { 'Content-Type': 'application/json' } : {}) },
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

export async function inBatches<T>(count: number, size: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < count; i += size)
    out.push(...(await Promise.all(Array.from({ length: Math.min(size, count - i) }, (_, j) => fn(i + j)))));
  return out;
}

/**
 * Makes this process's HTTP client warm (its first request costs ~8 ms of client-side set-up) against a throwaway
 * server, so a "first request after the API started" figure times the API, not the bench's own client.
 */
export async function warmClient(): Promise<void> {
  const server = http.createServer((_req, res) => res.end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  for (let i = 0; i < 3; i++) await call(`http://127.0.0.1:${port}`, '', 'GET', '/');
  server.closeAllConnections(); // the keep-alive agent would hold close() open
  await new Promise((resolve) => server.close(resolve));
}
