/**
 * Every Redis key and pub/sub channel name Bourse uses, built under one configurable prefix.
 * Nothing outside this file concatenates key names. Each domain owns one section; add new keys
 * to your section rather than building names elsewhere.
 */
export class Keys {
  constructor(readonly prefix: string) {}

  private k(...parts: string[]): string {
    return this.prefix + parts.join(':');
  }

  // ---- events: long-poll wake-ups --------------------------------------------------------
  /** Channel a waiter on `key` subscribes to; writers publish on it after changing `key`. */
  wakeChannel(key: string): string {
    return this.k('wake', key);
  }
  /** Pattern matching every wake channel (the subscriber maps a message back to its key). */
  wakeChannelPrefix(): string {
    return this.k('wake', '');
  }
  /** Health probe key written by /ready. */
  readyProbe(): string {
    return this.k('ready');
  }

  // ---- auth ------------------------------------------------------------------------------
  nonce(address: string): string {
    return this.k('auth', 'nonce', address.toLowerCase());
  }
  revokedToken(jti: string): string {
    return this.k('auth', 'revoked', jti);
  }
  /** Sorted set jti → expiry (unix s) of the revoked tokens: what an instance loads when it (re)subscribes. */
  revokedTokenIndex(): string {
    return this.k('auth', 'revoked-index');
  }
  /** Channel every instance hears revocations on (message: the jti); each answers on the ack channel. */
  revocationChannel(): string {
    return this.k('auth', 'revocations');
  }
  /** Channel an instance confirms on (message: the jti) that it now refuses a revoked token. */
  revocationAckChannel(): string {
    return this.k('auth', 'revocation-acks');
  }
  /** Hash of one app key (address, name, createdMs); the key itself is the secret, so it names the record. */
  appKey(key: string): string {
    return this.k('auth', 'appkey', key);
  }
  /** Hash name → key of one address's app keys. */
  ownerAppKeys(address: string): string {
    return this.k('auth', 'appkeys', address.toLowerCase());
  }

  // ---- market: subscriptions -------------------------------------------------------------
  subscription(id: string): string {
    return this.k('sub', id);
  }
  /** Append-only stream of new subscriptions; its order decides which side of a pair matches (DESIGN §6). */
  subscriptionStream(): string {
    return this.k('subs', 'stream');
  }
  /**
   * Hash of the tombstones of subscriptions ended in one time window, one shard of them. Lua builds these names itself
   * (src/store/lua/include/subscriptionTombstone.lua derives them from a record key): keep the two in step.
   */
  subscriptionTombstones(window: string, shard: string): string {
    return this.k('subs', 'ended', window, shard);
  }
  /** Sorted set of the live matcher instances → their last heartbeat (ms); they share the matching by owner. */
  matcherMembers(): string {
    return this.k('subs', 'matchers');
  }
  /** Hash of each matcher instance's progress in the stream (and any replay it owes; see lua/member_*.lua). */
  matcherProgress(): string {
    return this.k('subs', 'matchers', 'progress');
  }
  /** Where the last matcher instance to leave stopped matching: the next to join replays from there. */
  matcherOrphaned(): string {
    return this.k('subs', 'matchers', 'orphaned');
  }
  /** Last subscription stream entry the trim of ended subscriptions' 'end' entries has looked at. */
  endedTrimCursor(): string {
    return this.k('subs', 'trimmed');
  }
  /** Sorted set id → expiry (ms) of active subscriptions of one kind, for expiry and index bootstrap. */
  activeSubscriptions(kind: 'demand' | 'offer'): string {
    return this.k('subs', 'active', kind);
  }
  /** Sorted set id → creation (ms) of one identity's subscriptions of one kind. */
  ownerSubscriptions(owner: string, kind: 'demand' | 'offer'): string {
    return this.k('subs', 'owner', owner.toLowerCase(), kind);
  }
  /** Negotiation event queue (ProposalEvent) of one subscription (collectOffers / collectDemands). */
  negotiationEvents(subscriptionId: string): string {
    return this.k('sub', subscriptionId, 'events');
  }
  /**
   * Non-proposal negotiation events (rejections, AgreementEvent), delivered before proposals. Woken via
   * negotiationEvents(id).
   */
  negotiationNotices(subscriptionId: string): string {
    return this.k('sub', subscriptionId, 'notices');
  }
  /** Hash delivery id → events a collect of one subscription returned and that are not yet acknowledged. */
  negotiationInflight(subscriptionId: string): string {
    return this.k('sub', subscriptionId, 'inflight');
  }

  // ---- market: proposals -----------------------------------------------------------------
  proposal(hex: string): string {
    return this.k('proposal', hex);
  }

  // ---- market: scan ----------------------------------------------------------------------
  scanCounter(): string {
    return this.k('scan', 'seq');
  }
  scan(id: string): string {
    return this.k('scan', id);
  }

  // ---- market: agreements ----------------------------------------------------------------
  agreement(hex: string): string {
    return this.k('agreement', hex);
  }
  /** Sorted set agreement id → creation (ms) for one identity (both roles). */
  partyAgreements(address: string): string {
    return this.k('agreements', 'party', address.toLowerCase());
  }
  /** Sorted set agreement id → validTo (ms) of agreements still in Proposal/Pending, for expiry. */
  expiringAgreements(): string {
    return this.k('agreements', 'expiring');
  }
  /** Append-only agreement event log of one identity (sorted by unique, increasing µs timestamp). */
  agreementEvents(address: string): string {
    return this.k('agreements', 'events', address.toLowerCase());
  }
  /** Last agreement-event timestamp (µs) issued to one identity, so each is strictly greater. */
  agreementEventClock(address: string): string {
    return this.k('agreements', 'clock', address.toLowerCase());
  }
  /** Stream of approved agreements (versioned hand-off entries): what compute learns of an approval. */
  approvedAgreements(): string {
    return this.k('agreements', 'approved');
  }
  /** Wake-up key for waiters on one agreement's state (waitForApproval). */
  agreementState(hex: string): string {
    return this.k('agreement', hex, 'state');
  }

  // ---- payment: allocations, invoices, debit notes (a ledger of documents) -----------------
  allocation(id: string): string {
    return this.k('pay', 'allocation', id);
  }
  /** Sorted set allocation id → creation (ms) of one owner. */
  ownerAllocations(address: string): string {
    return this.k('pay', 'allocations', address.toLowerCase());
  }
  /** One invoice or debit note. */
  paymentDocument(kind: 'invoice' | 'debitNote', id: string): string {
    return this.k('pay', kind, id);
  }
  /** Sorted set document id → creation (ms) of the invoices or debit notes one identity issued or received. */
  partyDocuments(kind: 'invoice' | 'debitNote', address: string): string {
    return this.k('pay', kind, 'party', address.toLowerCase());
  }
  /** Append-only invoice or debit-note event log of one identity (sorted by unique, increasing µs timestamp). */
  paymentEvents(kind: 'invoice' | 'debitNote', address: string): string {
    return this.k('pay', kind, 'events', address.toLowerCase());
  }
  /**
   * Hash of what acceptances booked for one agreement: `activity:<id>` → units of the activity's debit notes,
   * `total` → units of the agreement, `invoiced` → 1 once its invoice was accepted (debit notes are cumulative).
   */
  paymentBooked(agreementId: string): string {
    return this.k('pay', 'booked', agreementId);
  }
  /** Last payment-event timestamp (µs) issued to one identity for one kind, so each is strictly greater. */
  paymentEventClock(kind: 'invoice' | 'debitNote', address: string): string {
    return this.k('pay', kind, 'clock', address.toLowerCase());
  }

  // ---- invoke ----------------------------------------------------------------------------
  /** Hash of one invokable service: provider, state, version, timestamps, and `def:<version>` per definition. */
  invokeService(id: string): string {
    return this.k('invoke', 'service', id);
  }
  /** Sorted set service id → registration time (ms) of one provider's active services. */
  providerInvokeServices(address: string): string {
    return this.k('invoke', 'services', 'provider', address.toLowerCase());
  }
  /** Sorted set service id → registration time (ms) of every active service. */
  activeInvokeServices(): string {
    return this.k('invoke', 'services', 'active');
  }
  /** Hash of one invocation: job id → service, version, consumer, webhook, payload. */
  invocation(jobId: string): string {
    return this.k('invoke', 'job', jobId);
  }
  /** Sorted set job id → time (ms) its webhook delivery is next due (or its current attempt's lease ends). */
  webhooksDue(): string {
    return this.k('invoke', 'webhooks', 'due');
  }

  // ---- compute ---------------------------------------------------------------------------
  job(id: string): string {
    return this.k('job', id);
  }
  ownerJobs(address: string): string {
    return this.k('jobs', 'owner', address.toLowerCase());
  }
  agreementJobs(agreementHex: string): string {
    return this.k('jobs', 'agreement', agreementHex);
  }
  /** Sorted set job id → deadline (ms) of unfinished jobs, watched by the watchdog. */
  activeJobs(): string {
    return this.k('jobs', 'active');
  }
  jobLog(id: string): string {
    return this.k('job', id, 'log');
  }
  jobResult(id: string, index: number): string {
    return this.k('job', id, 'result', String(index));
  }
  /** Prefix of every job hash: the claim script finds a popped job's hash as this prefix + its id. */
  jobPrefix(): string {
    return this.k('job', '');
  }
  /** Result files staged by a job's current holder (index → entry JSON), published with its final status. */
  jobStagedResults(id: string): string {
    return this.k('job', id, 'staged');
  }
  /** List of job ids waiting for a runner of one provider (pushed left, claimed from the right). */
  providerQueue(provider: string): string {
    return this.k('jobs', 'queue', provider.toLowerCase());
  }
  /** Sorted set job id → lease end (ms) of claimed jobs: a lapsed lease means the holder is lost. */
  jobLeases(): string {
    return this.k('jobs', 'leases');
  }
  /** Hash runner id → heartbeat JSON (provider, environment, load), written by the API on a runner's heartbeat. */
  runners(): string {
    return this.k('runners');
  }
  // ---- activity (Golem Activity API) ----------------------------------------------------
  /** Hash of one activity (codec: src/activity/record.ts). */
  activity(id: string): string {
    return this.k('activity', id);
  }
  /** Prefix of every activity hash: scripts find an activity's hash as this prefix + its id. */
  activityPrefix(): string {
    return this.k('activity', '');
  }
  /** Hash of one ExeScript batch. */
  activityBatch(batchId: string): string {
    return this.k('activity', 'batch', batchId);
  }
  /** Prefix of every batch hash. */
  activityBatchPrefix(): string {
    return this.k('activity', 'batch', '');
  }
  /** Set of the activity ids created on one agreement (their usage goes into its final invoice). */
  agreementActivities(agreementId: string): string {
    return this.k('activity', 'agreement', agreementId);
  }
  /** List of a batch's per-command results (JSON), in command order. */
  activityBatchResults(batchId: string): string {
    return this.k('activity', 'batch', batchId, 'results');
  }
  /** List of a batch's streaming runtime events (JSON): started, stdout, stderr, finished. */
  activityBatchEvents(batchId: string): string {
    return this.k('activity', 'batch', batchId, 'events');
  }
  /** List of batch ids waiting for a runner of one provider, oldest first. */
  activityQueue(provider: string): string {
    return this.k('activity', 'queue', provider.toLowerCase());
  }
  /** Wake-up key (never written) of a provider's runners: a batch ended, so one queued behind it may run. */
  activityRunnable(provider: string): string {
    return this.k('activity', 'runnable', provider.toLowerCase());
  }
  /** Hash result name → {index, size} of the files an activity's runner published (bytes: the ResultStore). */
  activityResults(id: string): string {
    return this.k('activity', id, 'results');
  }
  /** Sorted set activity id → lease end (ms) of activities held by a runner. */
  activityLeases(): string {
    return this.k('activity', 'leases');
  }
  /** Sorted set activity id → when (ms) its next debit note is due, for priced activities that have not ended. */
  activityDebitNotesDue(): string {
    return this.k('activity', 'debitnotes');
  }
}
