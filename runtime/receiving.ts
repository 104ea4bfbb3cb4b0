/**
 * What every platform gets: receivers, providers, errors, dedup and the web-standard handler. The
 * node entry (index.ts) adds the sender, the stores, the signer and the node handler; the web entry
 * (web.ts) is this and nothing else, so a Workers or Deno bundle pulls in no node: module.
 */
export { createReceiver, type Receiver, type ReceiverOptions, type ReceiverResult } from './receiver.js';
export { defineProvider, type Provider, type TypedEvent, type EventFor, type AnyEventFor, type EventKey, type EventMapOf, type PayloadValidator } from './provider.js';
export type { WebhookEvent } from './verify/event.js';
export type { WebhookRequest, HeaderBag } from './verify/request.js';
export type { WebhookResponse } from './verify/handshake.js';
export type { VerifierOptions, VerifyResult, Accepted, HandshakeAnswer, CredentialValue } from './verify/verifier.js';
export { REASONS, WebhookVerificationError, type Reason, type Rejection } from './verify/errors.js';
export { CredentialError } from './verify/signatures.js';
export { WebhookHandlerError } from './dispatch/dispatcher.js';
export { memoryDedupStore, type DedupStore, type MemoryDedupOptions } from './dispatch/dedup.js';
export { createFetchHandler } from './adapters/fetch.js';
export type * from './spec/types.js';
