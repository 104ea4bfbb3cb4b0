/**
 * hookgen's runtime on Node (and Bun, Deno with node: modules): package.json's `node` condition of
 * `hookgen`. Everything the web entry has, plus the node handler, the signer and the sender.
 */
export * from './receiving.js';
export { signRequest, SigningError, type SignOptions } from './sign/sign.js';
export { createNodeHandler, type NodeHandler } from './adapters/node.js';
export * from './send/index.js';
export { sqliteStore, postgresStore, matchesEvent, type SqliteStoreOptions, type PostgresStoreOptions } from './store/index.js';
export type { Store, Subscription, SubscriptionSecret, Message, Delivery, DeliveryStatus, Attempt, PublishResult } from './store/types.js';
