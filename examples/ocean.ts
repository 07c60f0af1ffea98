/**
 * `npm run example:ocean` — the published ocean.js (`ProviderInstance`, unchanged) against Bourse, with a running
 * `npm start`: ocean.js mints an auth token, which is also the Market API key ya-ts-client negotiates with; the
 * approved agreement is then the Ocean order that computeStart, computeStatus, getComputeResultUrl and computeStop
 * work under.
 *
 *   BOURSE_API_URL=http://127.0.0.1:7465 npm run example:ocean
 */
import { ProviderInstance, type ComputeAlgorithm, type ComputeAsset, type ComputeJob } from '@oceanprotocol/lib';
import { Wallet } from 'ethers';
import { MarketApi } from 'ya-ts-client';
import { negotiate } from './requestor';

type Say = (line: string) => void;

export interface OceanExampleOutcome {
  job: ComputeJob;
  output: Buffer;
  stopped: ComputeJob;
}

const firstJob = (answer: ComputeJob | ComputeJob[]): ComputeJob => (Array.isArray(answer) ? answer[0] : answer);

/** Asks for the job's status (signed by `wallet`) until `done` holds: Ocean status has no long-poll. */
async function awaitJob(nodeUri: string, wallet: Wallet, jobId: string, done: (job: ComputeJob) => boolean) {
  for (;;) {
    const job = firstJob(await ProviderInstance.computeStatus(nodeUri, wallet, jobId));
    if (done(job)) return job;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

// --- ocean.js example (the README's "ocean.js" section shows this block) ---
export async function oceanExample(nodeUri: string, wallet: Wallet, say: Say): Promise<OceanExampleOutcome> {
  if (!(await ProviderInstance.isValidProvider(nodeUri))) throw new Error(`${nodeUri} is not an Ocean node`);
  const [environment] = await ProviderInstance.getComputeEnvironments(nodeUri);
  say(`environment ${environment.id}: ${environment.runningJobs} running, platform ${environment.platform?.os}`);

  // An ocean.js auth token is also a Market API key: negotiate a node runtime for 5 minutes of jobs.
  const token = await ProviderInstance.generateAuthToken(wallet, nodeUri);
  const market = new MarketApi.Client({ BASE: `${nodeUri}/market-api/v1`, TOKEN: token }).requestor;
  const agreed = { runtime: 'node', entrypoint: ['node', '$ALGO'], algorithm: 'console.log("agreed")' };
  const agreementId = await negotiate(market, { ...agreed, inputs: [], maxDurationSeconds: 300 }, say);

  // The agreement is the Ocean order: the first dataset names it, and an entry with a URL is an input.
  const dataset = {
    documentId: agreementId,
    serviceId: 'compute',
    transferTxId: agreementId,
    fileObject: { type: 'url', url: 'data:,hello%20ocean', method: 'get' },
  } as ComputeAsset;
  const algorithm = (rawcode: string): ComputeAlgorithm =>
    ({
      meta: { rawcode, container: { entrypoint: 'node $ALGO', image: 'node', tag: 'lts', checksum: '' } },
    }) as ComputeAlgorithm;
  const copy = "const fs = require('fs'); fs.copyFileSync(process.env.INPUTS + '/0', process.env.OUTPUTS + '/out');";
  const started = firstJob(
    await ProviderInstance.computeStart(nodeUri, wallet, environment.id, [dataset], algorithm(copy), 60, '', [], 0),
  );
  say(`job ${started.jobId}: ${started.status} ${started.statusText}`);

  const job = await awaitJob(nodeUri, wallet, started.jobId, (j) => j.status === 70);
  const output = job.results.find((result) => result.type === 'output')!;
  const url = await ProviderInstance.getComputeResultUrl(nodeUri, wallet, job.jobId, output.index!);
  const bytes = Buffer.from(await (await fetch(url)).arrayBuffer());
  say(`job ${job.jobId} finished; ${output.filename}: ${JSON.stringify(bytes.toString())}`);

  // A slow job, stopped: it ends (dateFinished set) with stopRequested.
  const sleeper = "console.log('started'); setTimeout(() => console.log('never'), 120000);";
  const slow = firstJob(
    await ProviderInstance.computeStart(nodeUri, wallet, environment.id, [dataset], algorithm(sleeper), 200, '', [], 0),
  );
  await awaitJob(nodeUri, wallet, slow.jobId, (j) => j.status >= 40);
  await ProviderInstance.computeStop(slow.jobId, nodeUri, wallet);
  const stopped = await awaitJob(nodeUri, wallet, slow.jobId, (j) => Boolean(j.dateFinished));
  say(`job ${stopped.jobId} stopped: ${stopped.status} ${stopped.statusText}`);
  return { job, output: bytes, stopped };
}
// --- end of the ocean.js example ---

if (require.main === module) {
  const apiUrl = process.env.BOURSE_API_URL ?? 'http://127.0.0.1:7465';
  oceanExample(apiUrl, Wallet.createRandom() as unknown as Wallet, (line) => console.log(line)).catch((err) => {
    console.error((err as Error).message);
    process.exit(1);
  });
}
