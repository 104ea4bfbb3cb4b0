/**
 * hookgen's runtime: what users deploy. Generated provider modules import only this entry point.
 */
export { createReceiver, type Receiver, type ReceiverOptions, type ReceiverResult } from './receiver.js';
export { defineProvider, type Provider, type TypedEvent, type EventFor, type AnyEventFor, type EventKey, type EventMapOf } from './provider.js';
export type { WebhookEvent } from './verify/event.js';
export type { WebhookRequest, HeaderBag } from './verify/request.js';
export type { WebhookResponse } from './verify/handshake.js';
export type { VerifierOptions, VerifyResult, Accepted, HandshakeAnswer, CredentialValue } from './verify/verifier.js';
export { REASONS, WebhookVerificationError, type Reason, type Rejection } from './verify/errors.js';
export { CredentialError } from './verify/signatures.js';
export { WebhookHandlerError } from './dispatch/dispatcher.js';
export { memoryDedupStore, type DedupStore, type MemoryDedupOptions } from './dispatch/dedup.js';
export { signRequest, SigningError, type SignOptions } from './sign/sign.js';
export { createFetchHandler } from './adapters/fetch.js';
export { createNodeHandler, type NodeHandler } from './adapters/node.js';
export type * from './spec/types.js';
export * from './send/index.js';
export { sqliteStore, postgresStore, matchesEvent, type SqliteStoreOptions, type PostgresStoreOptions } from './store/index.js';
export type { Store, Subscription, SubscriptionSecret, Message, Delivery, DeliveryStatus, Attempt, PublishResult } from './store/types.js';
