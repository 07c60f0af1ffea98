import path from 'node:path';
import { ApiError, type ProviderApiClient } from './apiClient';

const WATCH_SECONDS = 30;
const RETRY_MS = 500;

/**
 * Long-polls the API about a running job: resolves 'stop' at a stop request, 'gone' when the job is no longer this
 * claim's (ended or deleted elsewhere, handed to another runner), undefined once `done` aborts. An unreachable API is
 * retried; losing the lease meanwhile is the runner's lease check's business.
 */
export async function watchJob(
  api: ProviderApiClient,
  job: { jobId: string; fence: number },
  done: AbortSignal,
): Promise<'stop' | 'gone' | undefined> {
  while (!done.aborted) {
    try {
      const state = await api.watch(job.jobId, job.fence, WATCH_SECONDS, done);
      if (state !== 'running') return state;
    } catch (err) {
      if (done.aborted) return undefined;
      if (err instanceof ApiError && [404, 409, 410].includes(err.status)) return 'gone';
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
    }
  }
  return undefined;
}

/** The environment an algorithm runs with: its data directories under `dataRoot` (as the sandbox shows them). */
export function algorithmEnv(dataRoot: string, command: string): Record<string, string> {
  return {
    PATH: `${path.dirname(command)}:/usr/local/bin:/usr/bin:/bin`,
    HOME: dataRoot,
    LANG: 'C.UTF-8',
    INPUTS: path.posix.join(dataRoot, 'inputs'),
    OUTPUTS: path.posix.join(dataRoot, 'outputs'),
    ALGO: path.posix.join(dataRoot, 'transformations', 'algorithm'),
  };
}
