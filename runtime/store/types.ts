/**
 * The one storage contract of the sender. Two adapters implement it (SQLite, PostgreSQL) with the
 * same schema and the same claim protocol: the `deliveries` table *is* the queue, so publishing is a
 * single transaction (message + one delivery row per matching subscription) and nothing is dual-written.
 * Times are epoch milliseconds supplied by the caller, so a test clock drives leases and schedules.
 */

export interface SubscriptionSecret {
  secret: string;
  /** null for the current secret; a time for a rotated-out secret still signed with until then. */
  expiresAt: number | null;
}

export interface Subscription {
  id: string;
  /** '' when the subscription belongs to no tenant. */
  tenant: string;
  url: string;
  /** Event filters: exact names, `prefix.*` or `*`. */
  events: string[];
  /** The current secret first, then rotated-out ones in their grace period. */
  secrets: SubscriptionSecret[];
  headers: Record<string, string>;
  metadata: Record<string, unknown>;
  paused: boolean;
  disabled: boolean;
  disabledReason: string | null;
  /** Start of the current run of failures (cleared by any success); drives auto-disable. */
  firstFailureAt: number | null;
  createdAt: number;
  updatedAt: number;
}

export type NewSubscription = Omit<Subscription, 'createdAt' | 'updatedAt' | 'firstFailureAt' | 'disabled' | 'disabledReason' | 'paused'> &
  Partial<Pick<Subscription, 'paused' | 'disabled' | 'disabledReason'>>;

export type SubscriptionPatch = Partial<
  Pick<Subscription, 'url' | 'events' | 'secrets' | 'headers' | 'metadata' | 'paused' | 'disabled' | 'disabledReason' | 'firstFailureAt'>
>;

export interface Message {
  id: string;
  tenant: string;
  eventType: string;
  /** The exact body sent to every subscriber (serialised once, so retries send identical bytes). */
  payload: string;
  idempotencyKey: string | null;
  createdAt: number;
}

export type DeliveryStatus = 'pending' | 'inflight' | 'succeeded' | 'failed' | 'cancelled';

export interface Delivery {
  id: string;
  messageId: string;
  subscriptionId: string;
  status: DeliveryStatus;
  /** Attempts made so far. */
  attempts: number;
  nextAttemptAt: number;
  leaseOwner: string | null;
  leaseExpiresAt: number | null;
  lastStatus: number | null;
  lastError: string | null;
  createdAt: number;
  updatedAt: number;
}

/** What a worker gets from a claim: the delivery with what it needs to send it, in one round trip. */
export interface ClaimedDelivery extends Delivery {
  message: Message;
  subscription: Subscription;
}

export interface Attempt {
  deliveryId: string;
  /** 1 for the first attempt. */
  n: number;
  startedAt: number;
  durationMs: number;
  /** HTTP status, or null when no response came (timeout, refused, reset, SSRF). */
  status: number | null;
  /** The response body, truncated. */
  response: string | null;
  /** A machine class: `http`, `timeout`, `connection`, `dns`, `ssrf`, `invalid-url`… null on success. */
  errorClass: string | null;
  error: string | null;
}

/** What happens to the delivery after an attempt. */
export type AttemptOutcome = { kind: 'succeeded' } | { kind: 'retry'; nextAttemptAt: number } | { kind: 'failed' };

export interface RecordAttemptInput {
  workerId: string;
  /** The delivery's subscription (the claim returned it), whose health the attempt updates. */
  subscriptionId: string;
  attempt: Attempt;
  outcome: AttemptOutcome;
  /** Endpoint health: a success clears the failure run; a failure starts it if none is running. */
  endpointOk: boolean;
}

export interface RecordAttemptResult {
  /** False when the lease had been lost (expired and taken by another worker): the state was left alone. */
  applied: boolean;
  /** The subscription's failure run start after this attempt. */
  firstFailureAt: number | null;
}

export interface PublishInput {
  id: string;
  tenant: string;
  eventType: string;
  payload: string;
  idempotencyKey: string | null;
  now: number;
}

export interface PublishResult {
  message: Message;
  /** Deliveries written by this call (0 for a duplicate). */
  deliveries: number;
  /** True when the idempotency key was already known: the first message is returned, nothing is written. */
  duplicate: boolean;
}

export interface ClaimOptions {
  workerId: string;
  limit: number;
  leaseMs: number;
  now: number;
  /** At most this many unexpired in-flight deliveries per subscription, counting every worker's. */
  perEndpointLimit?: number;
}

/** Where a page of deliveries resumes: the last delivery of the previous page. */
export interface DeliveryCursor {
  createdAt: number;
  id: string;
}

export interface DeliveryQuery {
  messageId?: string;
  subscriptionId?: string;
  status?: DeliveryStatus;
  /** Deliveries of this tenant's messages ('' for messages of no tenant). */
  tenant?: string;
  /** Created at or after this time. */
  since?: number;
  /** Created before this time. */
  until?: number;
  /** Last changed at or after this time (what `replay({ failedSince })` selects, so a tenant's replay can list it first). */
  updatedSince?: number;
  /** By creation time then id: `asc` (the default) oldest first, `desc` newest first. */
  order?: 'asc' | 'desc';
  /** Keyset pagination: only deliveries that come after this one in the chosen order. */
  after?: DeliveryCursor;
  /** At most this many (default 1000). */
  limit?: number;
}

export type ReplayQuery = { deliveryIds: string[] } | { failedSince: number };

export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  createSubscription(input: NewSubscription, now: number): Promise<Subscription>;
  getSubscription(id: string): Promise<Subscription | undefined>;
  listSubscriptions(query?: { tenant?: string }): Promise<Subscription[]>;
  updateSubscription(id: string, patch: SubscriptionPatch, now: number): Promise<Subscription | undefined>;
  /** Deletes the subscription and cancels its unfinished deliveries. */
  deleteSubscription(id: string): Promise<boolean>;

  /** Writes the message and one delivery per matching, active subscription in one transaction. */
  publish(input: PublishInput): Promise<PublishResult>;
  /**
   * Publishes several messages in one transaction: all of them with their deliveries, or nothing.
   * Results come in input order. Idempotency keys work as in `publish`, within the batch too: a key
   * seen earlier in the same batch makes the later input a duplicate of the earlier one. `[]` writes nothing.
   */
  publishMany(inputs: PublishInput[]): Promise<PublishResult[]>;
  getMessage(id: string): Promise<Message | undefined>;

  /** Claims due deliveries (pending and due, or in flight with an expired lease) and commits the lease. */
  claimDue(options: ClaimOptions): Promise<ClaimedDelivery[]>;
  /** Logs an attempt and moves the delivery on, if `workerId` still holds its lease. */
  recordAttempt(input: RecordAttemptInput): Promise<RecordAttemptResult>;
  /** Gives deliveries back without an attempt (graceful stop): pending, due now, no lease. */
  release(deliveryIds: string[], workerId: string, now: number): Promise<number>;
  /**
   * Sends finished deliveries again (operator replay): `succeeded` or `failed` ones, by id or every
   * failed one updated since a time, become pending and due now with a fresh retry schedule. The
   * attempt log keeps their history; the message id (the receivers' dedup key) is unchanged.
   */
  replay(query: ReplayQuery, now: number): Promise<number>;
  /**
   * Retention: deletes finished deliveries (and their attempts) last changed before `before`, then
   * messages older than that with no delivery left. Their idempotency keys are forgotten with them.
   */
  prune(before: number): Promise<{ deliveries: number; attempts: number; messages: number }>;
  /** The earliest time a pending delivery becomes due (null when none), for the worker's timer. */
  nextDueAt(): Promise<number | null>;

  getDelivery(id: string): Promise<Delivery | undefined>;
  listDeliveries(query?: DeliveryQuery): Promise<Delivery[]>;
  listAttempts(deliveryId: string): Promise<Attempt[]>;
  countDeliveries(): Promise<Record<DeliveryStatus, number>>;

  /** Calls `listener` when new work may be due (publish, release); best effort: workers also poll. */
  onWork(listener: () => void): () => void;
  close(): Promise<void>;
}
