export { createSender, envelopes, PublishError, type Envelope, type Sender, type SenderOptions, type PublishOptions, type PublishEvent } from './sender.js';
export { SubscriptionError, type CreateSubscriptionInput, type UpdateSubscriptionInput, type RotateSecretOptions, type SubscriptionWithKey, type Subscriptions } from './subscriptions.js';
export type { Worker, WorkerOptions, AttemptEvent, Clock, EndpointDisabledEvent } from './worker.js';
export { DEFAULT_RETRY_SCHEDULE_MS, type RetryPolicyOptions } from './retry-policy.js';
export { SsrfError, type AddressPolicy } from './ssrf.js';
export { generateSecret, generateSigningKey, publicKeyOf, publicKeys, type SignatureKind } from './secrets.js';
export { createManagementHandler, type ManagementAccess, type ManagementOptions } from './management.js';
