import { StringDecoder } from 'node:string_decoder';
import type { Logger } from 'pino';
import type { ClaimedBatch } from '../../activity/leases';
import type { EndedActivity } from '../../activity/scripts';
import { parseExeScript, type ActivityState, type CommandResult, type ExeCommand } from '../../activity/record';
import { Periodic } from '../../kernel/loops';
import { ApiError, type ProviderApiClient } from './apiClient';
import type { RunnerConfig } from './config';
import { executeCommand, failed, type CommandOutcome } from './activityCommands';
import type { Capacity } from './capacity';
import type { OutputStream } from './executor/cappedLog';
import type { ProcessExecutor } from './executor/process';
import { Workspace } from './executor/workspace';
import { LogForwarder } from './logForwarder';

const CLAIM_WAIT_SECONDS = 20;
const RETRY_MS = 1000;

export interface ActivityContext {
  api: ProviderApiClient;
  config: RunnerConfig;
  executor: ProcessExecutor;
  log: Logger;
}

/** An activity this runner holds: its workspace lives here until the activity ends. */
interface Held {
  fence: number;
  workspace: Workspace;
  /** The batch being executed, '' when idle. */
  running: string;
  /** CPU time of the running command: sampled so far, and the part renewals already reported. */
  cpu: { sampledMs: number; reportedMs: number };
  kill: AbortController;
}

/**
 * The runner's activity loop: claims ExeScript batches of its provider's activities through the provider API, keeps
 * one sandboxed workspace per activity, executes each batch's commands in order (a failed command ends the batch),
 * streams their output as runtime events, reports each result under the claim's fencing token, and renews its hold
 * on idle activities so a destroyed one is cleaned up here.
 */
export class ActivityRunner {
  private readonly held = new Map<string, Held>();
  private readonly renewal: Periodic;
  private readonly loop: Promise<void>;
  /** Batches executing now (of different activities: each runs its batches one after another). */
  private readonly batches = new Set<Promise<void>>();

  constructor(
    private readonly ctx: ActivityContext,
    private readonly capacity: Capacity,
    private readonly stopping: AbortSignal,
  ) {
    this.renewal = new Periodic('activity renewal', ctx.config.heartbeatMs, () => this.renew(), ctx.log);
    this.renewal.start();
    this.loop = this.claimLoop();
  }

  async stop(): Promise<void> {
    for (const held of this.held.values()) held.kill.abort();
    await this.loop;
    await Promise.all(this.batches);
    await this.renewal.stop();
    for (const [id] of this.held) await this.drop(id);
  }

  /**
   * Claims batches: of any activity while the runner's budget has room for a new one, else only of the activities it
   * holds. A poll is restarted when that changes. Each batch runs beside the loop, so held activities keep running.
   */
  private async claimLoop(): Promise<void> {
    const { api, config, log } = this.ctx;
    while (!this.stopping.aborted) {
      const open = this.capacity.open;
      const poll = new AbortController();
      const unsubscribe = this.capacity.subscribe(() => {
        if (this.capacity.open !== open) poll.abort();
      });
      try {
        const { status, body } = await api.send('POST', '/activities/claim', {
          query: { timeout: CLAIM_WAIT_SECONDS },
          json: { runnerId: config.runnerId, leaseMs: config.stallIntervalMs, heldOnly: !open },
          timeoutMs: (CLAIM_WAIT_SECONDS + 10) * 1000,
          signal: AbortSignal.any([this.stopping, poll.signal]),
        });
        if (status === 200 && (body as Partial<EndedActivity>).ended !== undefined)
          await this.ended((body as EndedActivity).ended);
        else if (status === 200) this.start(body as ClaimedBatch);
      } catch (err) {
        if (this.stopping.aborted) return;
        if (poll.signal.aborted) continue;
        log.warn({ err: (err as Error).message }, 'claiming an activity batch failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
      } finally {
        unsubscribe();
      }
    }
  }

  private start(claim: ClaimedBatch): void {
    const batch = this.runBatch(claim)
      .catch(async (err: Error) => {
        // The API did not take the batch's report: give the activity up (no more renewals), so that its lease lapses
        // and the watchdog ends the batch and the activity with an Error, instead of a batch that never finishes.
        this.ctx.log.warn({ activityId: claim.activityId, err: err.message }, 'activity given up to its lease');
        this.held.get(claim.activityId)?.kill.abort();
        await this.drop(claim.activityId);
      })
      .finally(() => this.batches.delete(batch));
    this.batches.add(batch);
  }

  private async report(activityId: string, body: Record<string, unknown>): Promise<ActivityState | undefined> {
    const held = this.held.get(activityId);
    if (!held) return undefined;
    const fence = held.fence;
    try {
      const { body: reply } = await this.ctx.api.send('POST', `/activities/${activityId}/report`, {
        json: { fence, leaseMs: this.ctx.config.stallIntervalMs, ...body },
      });
      return (reply as { state: ActivityState }).state;
    } catch (err) {
      if (!(err instanceof ApiError) || err.status >= 500) throw err;
      // A renewal sent just before this runner claimed the activity's next batch carries the older fence.
      if (held.fence !== fence) return undefined;
      // Not ours any more (lease lapsed, activity gone): stop and forget it.
      held.kill.abort();
      return 'Terminated';
    }
  }

  private async runBatch(claim: ClaimedBatch): Promise<void> {
    const { activityId, batchId } = claim;
    let held = this.held.get(activityId);
    if (!held) {
      const workspace = new Workspace(this.ctx.config.workDir, `activity-${activityId}`);
      held = {
        fence: claim.fence,
        workspace,
        running: batchId,
        kill: new AbortController(),
        cpu: { sampledMs: 0, reportedMs: 0 },
      };
      this.held.set(activityId, held);
      // A unit for the activity's life, until drop(). None free: a job took the last one as this claim was made.
      if (!this.capacity.open) this.ctx.log.warn({ activityId }, 'activity claimed beyond the runner budget');
      this.capacity.take();
      await workspace.prepare(this.ctx.executor.sandbox.workspaceOwner);
    }
    held.fence = claim.fence;
    held.running = batchId;
    let commands: ExeCommand[];
    try {
      commands = parseExeScript(claim.text);
    } catch (err) {
      commands = [{ name: 'invalid', args: { message: (err as Error).message } }];
    }
    let state: ActivityState | undefined;
    for (let index = 0; index < commands.length; index++) {
      const outcome = held.kill.signal.aborted
        ? failed('the activity was terminated')
        : await this.execute(activityId, held, batchId, index, commands[index]);
      const last = index === commands.length - 1 || !outcome.ok || outcome.state === 'Terminated';
      // Renewals reported part of this command's CPU time while it ran; the rest goes with its result.
      const cpuMs = Math.max(0, outcome.cpuMs - held.cpu.reportedMs);
      held.cpu = { sampledMs: 0, reportedMs: 0 };
      const eventDate = new Date().toISOString();
      const result: CommandResult = {
        index,
        eventDate,
        result: outcome.ok ? 'Ok' : 'Error',
        stdout: outcome.stdout,
        stderr: outcome.stderr,
        message: outcome.message,
        isBatchFinished: last,
      };
      const finished = { return_code: outcome.returnCode, message: outcome.message };
      state = await this.report(activityId, {
        batchId,
        results: [result],
        events: [{ batch_id: batchId, index, timestamp: eventDate, kind: { finished } }],
        state: outcome.state,
        done: last,
        cpuMs,
      });
      if (last) break;
    }
    held.running = '';
    if (state === 'Terminated') await this.drop(activityId);
  }

  /** One command, with its `run` output streamed live (stdout and stderr as distinct runtime events). */
  private async execute(
    activityId: string,
    held: Held,
    batchId: string,
    index: number,
    command: ExeCommand,
  ): Promise<CommandOutcome> {
    const { config, executor, log } = this.ctx;
    const forwarder = (kind: OutputStream): LogForwarder => {
      // A character split across two appends is sent whole with the second.
      const text = new StringDecoder('utf8');
      return new LogForwarder(
        async (chunk) => {
          const timestamp = new Date().toISOString();
          const event = { batch_id: batchId, index, timestamp, kind: { [kind]: text.write(chunk) } };
          const state = await this.report(activityId, { batchId, events: [event] });
          if (state === 'Terminated') held.kill.abort();
        },
        log,
        activityId,
      );
    };
    const live = { stdout: forwarder('stdout'), stderr: forwarder('stderr') };
    const outcome = await executeCommand(
      {
        config,
        executor,
        workspace: held.workspace,
        kill: held.kill.signal,
        onOutput: (chunk, stream) => live[stream].push(chunk),
        onCpu: (cpuMs) => (held.cpu.sampledMs = cpuMs),
        publish: (name, bytes) => this.ctx.api.publishActivityResult(activityId, held.fence, name, bytes),
      },
      command,
    );
    await Promise.all([live.stdout.flush(), live.stderr.flush()]);
    return outcome;
  }

  /**
   * Renews the hold on every activity (with no batch id: the running batch may end meanwhile, and a renewal naming
   * it would then be refused); one found Terminated (destroyed) while idle is cleaned up.
   */
  private async renew(): Promise<void> {
    for (const [id, held] of [...this.held]) {
      // The running command's CPU time so far, so that usage (and the ledger) sees it before the command ends.
      const cpuMs = Math.max(0, held.cpu.sampledMs - held.cpu.reportedMs);
      held.cpu.reportedMs += cpuMs;
      const state = await this.report(id, { batchId: '', cpuMs });
      if (state === 'Terminated') await this.ended(id);
    }
  }

  /** A held activity ended: its command is stopped, and an idle one's workspace and capacity go now. */
  private async ended(activityId: string): Promise<void> {
    const held = this.held.get(activityId);
    if (!held) return;
    held.kill.abort();
    if (held.running === '') await this.drop(activityId);
  }

  private async drop(activityId: string): Promise<void> {
    const held = this.held.get(activityId);
    if (!held) return;
    this.held.delete(activityId);
    await held.workspace.remove();
    this.capacity.release();
  }
}
