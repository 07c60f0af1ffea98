import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Core } from '../kernel/core';
import { Forbidden, Invalid, NotFound } from '../kernel/errors';
import { defineScript, outcome } from '../store/scripts';
import type { AllocationUpdate, NewAllocation } from '../types/schemas';
import { fromUnits, toUnits } from './amounts';
import { allocationCodec, type AllocationRecord } from './records';

/**
 * Allocations: budgets a requestor reserves for paying providers. Bourse moves no money; an allocation is a
 * ledger entry that accepted invoices and debit notes are booked against. Only the owner sees or changes one
 * (anyone else gets 404, as if it did not exist).
 */

const PLATFORM = /^[a-z0-9]+-[a-z0-9]+-[a-z0-9]+$/;
/** golem-js's default platform (erc20 driver, holesky test network, tGLM). */
export const DEFAULT_PAYMENT_PLATFORM = 'erc20-holesky-tglm';
const ID = /^[0-9A-Za-z-]{1,64}$/;

const amendScript = defineScript({
  name: 'allocation.amend',
  file: path.join(__dirname, 'lua', 'allocation_amend.lua'),
  keys: ['allocation'],
  args: ['caller', 'totalUnits', 'timeout', 'expireAtMs'],
  parse: outcome,
});

const releaseScript = defineScript({
  name: 'allocation.release',
  file: path.join(__dirname, 'lua', 'allocation_release.lua'),
  keys: ['allocation', 'index'],
  args: ['caller', 'allocationId'],
  parse: (reply) => outcome(reply).code,
});

/** 400 unless `platform` reads driver-network-token. */
export function parsePlatform(platform: string): string {
  if (!PLATFORM.test(platform)) {
    throw new Invalid('Invalid paymentPlatform: expected driver-network-token, such as "erc20-holesky-tglm"');
  }
  return platform;
}

function parseTimeout(timeout: string, now: number): number {
  const ms = Date.parse(timeout);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(timeout) || !Number.isFinite(ms))
    throw new Invalid('Invalid timeout: expected an RFC 3339 date-time');
  if (ms <= now) throw new Invalid('Invalid timeout: it must be in the future');
  return ms;
}

export type AllocationView = ReturnType<typeof allocationCodec.render>;

const notFound = (id: string): NotFound => new NotFound(`Allocation [${id}] not found.`);

export class AllocationService {
  constructor(private readonly core: Core) {}

  private get retentionMs(): number {
    return this.core.config.agreementRetentionSeconds * 1000;
  }

  /** createAllocation: the body echoed with allocationId, address, paymentPlatform and the amounts set. */
  async create(caller: string, body: NewAllocation): Promise<Record<string, unknown>> {
    if (body.address && body.address.toLowerCase() !== caller) {
      throw new Forbidden('An allocation can only be made for your own address');
    }
    const now = Date.now();
    const timeoutMs = body.timeout ? parseTimeout(body.timeout, now) : undefined;
    const record: AllocationRecord = {
      allocationId: randomUUID(),
      owner: caller,
      address: caller,
      paymentPlatform: parsePlatform(body.paymentPlatform || DEFAULT_PAYMENT_PLATFORM),
      totalUnits: toUnits(body.totalAmount, 'totalAmount'),
      spentUnits: 0,
      timestamp: new Date(now).toISOString(),
      timeout: timeoutMs === undefined ? '' : new Date(timeoutMs).toISOString(),
      makeDeposit: body.makeDeposit ?? false,
    };
    const { keys } = this.core;
    const index = keys.ownerAllocations(caller);
    // Gone at its timeout; without one, kept as long as agreements are.
    const expireAt = timeoutMs ?? now + this.retentionMs;
    await this.core.redis
      .multi()
      .hset(keys.allocation(record.allocationId), allocationCodec.encode(record))
      .pexpireat(keys.allocation(record.allocationId), expireAt)
      .zadd(index, now, record.allocationId)
      .zremrangebyscore(index, '-inf', `(${now - this.retentionMs}`)
      .pexpire(index, this.retentionMs)
      .exec();
    const { timeout: _sent, ...echoed } = body;
    return { ...echoed, ...allocationCodec.render(record) };
  }

  async list(caller: string): Promise<AllocationView[]> {
    const ids = await this.core.redis.zrange(this.core.keys.ownerAllocations(caller), '0', '-1');
    const found = await Promise.all(ids.map((id) => this.load(id)));
    return found.filter((a): a is AllocationRecord => a?.owner === caller).map((a) => allocationCodec.render(a));
  }

  async get(caller: string, id: string): Promise<AllocationView> {
    const record = ID.test(id) ? await this.load(id) : undefined;
    if (!record || record.owner !== caller) throw notFound(id);
    return allocationCodec.render(record);
  }

  /** amendAllocation: a new budget (not below what is booked) and/or timeout. */
  async amend(caller: string, id: string, update: AllocationUpdate): Promise<AllocationView> {
    if (!ID.test(id)) throw notFound(id);
    const totalUnits = update.totalAmount === undefined ? '' : toUnits(update.totalAmount, 'totalAmount');
    const timeoutMs = update.timeout ? parseTimeout(update.timeout, Date.now()) : undefined;
    const { code, values } = await this.core.scripts.call(
      amendScript,
      { allocation: this.core.keys.allocation(id) },
      {
        caller,
        totalUnits,
        timeout: timeoutMs === undefined ? '' : new Date(timeoutMs).toISOString(),
        expireAtMs: timeoutMs ?? '',
      },
    );
    if (code === 'notfound') throw notFound(id);
    if (code === 'belowspent') {
      throw new Invalid(`Invalid totalAmount: ${fromUnits(Number(values[0]))} is already spent from this allocation`);
    }
    return this.get(caller, id);
  }

  /** releaseAllocation: the allocation is gone (404 afterwards, and for a second release). */
  async release(caller: string, id: string): Promise<void> {
    if (!ID.test(id)) throw notFound(id);
    const { keys } = this.core;
    const code = await this.core.scripts.call(
      releaseScript,
      { allocation: keys.allocation(id), index: keys.ownerAllocations(caller) },
      { caller, allocationId: id },
    );
    if (code !== 'ok') throw notFound(id);
  }

  /** The caller's allocation (404 for anyone else's or an unknown id). */
  async own(caller: string, id: string): Promise<AllocationRecord> {
    const record = ID.test(id) ? await this.load(id) : undefined;
    if (!record || record.owner !== caller) throw notFound(id);
    return record;
  }

  private async load(id: string): Promise<AllocationRecord | undefined> {
    return allocationCodec.decode(await this.core.redis.hgetall(this.core.keys.allocation(id)));
  }
}
