/**
 * `npm run example` — the requestor side of Bourse in one script, against a running `npm start`:
 * a fresh key, a token, a Demand that carries a small Node algorithm and a data: input (ya-ts-client for the
 * Market API), negotiation with the built-in runner, approval, then the job's status and result through the
 * Ocean compute endpoints (plain fetch).
 *
 *   BOURSE_API_URL=http://127.0.0.1:7465 npm run example
 */
import { Wallet } from 'ethers';
import { MarketApi } from 'ya-ts-client';
import { mintToken } from '../src/auth/client';
import type { JobSpec } from '../src/compute/jobs/record';
import { jobProperties } from '../src/compute/workload';
import type { ComputeStatus } from '../src/types/schemas';

type Say = (line: string) => void;

/** Demand constraint selecting Bourse runners. */
const RUNNER_CONSTRAINT = '(golem.runtime.name=bourse-process)';

/**
 * Negotiates an agreement for `spec` with the first runner that accepts it: counters the runner's Initial
 * proposal with the demand, promotes the runner's counter to an agreement, confirms it and waits for approval.
 */
export async function negotiate(
  market: MarketApi.RequestorService,
  spec: JobSpec,
  say: Say,
  timeoutMs = 60_000,
): Promise<string> {
  const demand = { properties: jobProperties(spec), constraints: RUNNER_CONSTRAINT };
  const demandId = (await market.subscribeDemand(demand)) as string;
  say(`demand ${demandId} published; waiting for a runner's offer`);
  const deadline = Date.now() + timeoutMs;
  let lastRejection = '';
  try {
    while (Date.now() < deadline) {
      const events = (await market.collectOffers(demandId, 5, 10)) as unknown as NegotiationEvent[];
      for (const event of events) {
        if (event.eventType === 'ProposalRejectedEvent') lastRejection = event.reason?.message ?? 'rejected';
        if (event.eventType !== 'ProposalEvent' || !event.proposal) continue;
        const proposal = event.proposal;
        if (proposal.state === 'Initial') {
          say(`offer from runner ${proposal.issuerId}: countering with the job`);
          await market.counterProposalDemand(demandId, proposal.proposalId, demand);
        } else if (proposal.state === 'Draft') {
          const validTo = new Date(Date.now() + 3600_000).toISOString();
          const agreementId = (await market.createAgreement({ proposalId: proposal.proposalId, validTo })) as string;
          await market.confirmAgreement(agreementId);
          say(`agreement ${agreementId} confirmed; waiting for the runner's approval`);
          await market.waitForApproval(agreementId, 30);
          return agreementId;
        }
      }
    }
    throw new Error(
      `No runner accepted the demand in ${timeoutMs / 1000} s${lastRejection ? ` (last rejection: ${lastRejection})` : ''}`,
    );
  } finally {
    await market.unsubscribeDemand(demandId).catch(() => undefined);
  }
}

interface NegotiationEvent {
  eventType: string;
  proposal?: { proposalId: string; issuerId: string; state: string };
  reason?: { message?: string };
}

async function computeCall(
  apiUrl: string,
  token: string,
  path: string,
  params: Record<string, string>,
): Promise<Response> {
  const res = await fetch(new URL(`/api/services/${path}?${new URLSearchParams(params)}`, apiUrl), {
    headers: { Authorization: `Bearer ${token}` },
  });
  if (!res.ok) throw new Error(`GET ${path} answered ${res.status}: ${await res.text()}`);
  return res;
}

/**
 * Follows the agreement's first job until it is terminal (dateFinished set), printing each new status.
 * Ocean status has no long-poll, so this polls at `intervalMs`.
 */
export async function followJob(
  apiUrl: string,
  token: string,
  agreementId: string,
  say: Say,
  timeoutMs = 120_000,
  intervalMs = 250,
): Promise<ComputeStatus> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const [job] = (await (
      await computeCall(apiUrl, token, 'compute', { documentId: agreementId })
    ).json()) as ComputeStatus[];
    if (job && `${job.status}` !== last) {
      last = `${job.status}`;
      say(`job ${job.jobId}: ${job.status} ${job.statusText}`);
    }
    if (job?.dateFinished) return job;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`The job of agreement ${agreementId} did not finish in ${timeoutMs / 1000} s`);
}

export async function fetchResult(apiUrl: string, token: string, jobId: string, index: number): Promise<Buffer> {
  return Buffer.from(
    await (await computeCall(apiUrl, token, 'computeResult', { jobId, index: String(index) })).arrayBuffer(),
  );
}

/** The demo job: count the words of the input and write them upper-cased. */
export const DEMO_SPEC: JobSpec = {
  runtime: 'node',
  entrypoint: ['node', '$ALGO'],
  algorithm: [
    "const fs = require('fs');",
    "const text = fs.readFileSync(process.env.INPUTS + '/0', 'utf8');",
    "fs.writeFileSync(process.env.OUTPUTS + '/result.txt', `${text.trim().split(/\\s+/).length} words: ${text.toUpperCase()}`);",
    "console.log('processed', text.length, 'characters');",
  ].join('\n'),
  inputs: [`data:text/plain,${encodeURIComponent('hello from the bourse demo\n')}`],
  maxDurationSeconds: 60,
};

async function main(): Promise<void> {
  const apiUrl = process.env.BOURSE_API_URL || 'http://127.0.0.1:7465';
  const say: Say = (line) => process.stdout.write(`${line}\n`);
  const wallet = Wallet.createRandom() as unknown as Wallet;
  say(`requestor ${wallet.address} (fresh key)`);
  const token = await mintToken({ url: apiUrl, wallet, expiresInSeconds: 3600 });
  const market = new MarketApi.Client({ BASE: new URL('/market-api/v1', apiUrl).toString(), TOKEN: token }).requestor;
  const agreementId = await negotiate(market, DEMO_SPEC, say);
  say(`agreement ${agreementId} approved`);
  const job = await followJob(apiUrl, token, agreementId, say);
  if (job.status !== 70) throw new Error(`job failed: ${job.status} ${job.statusText} ${job.reason ?? ''}`);
  for (const result of job.results) {
    say(`--- result ${result.index}: ${result.filename} (${result.type}, ${result.filesize} bytes)`);
    say((await fetchResult(apiUrl, token, job.jobId, result.index)).toString('utf8').trimEnd());
  }
}

if (require.main === module) {
  main().catch((err: Error) => {
    process.stderr.write(`example failed: ${err.message}\n`);
    process.exit(1);
  });
}
