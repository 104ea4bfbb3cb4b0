export { createSender, PublishError, type Sender, type SenderOptions, type PublishOptions } from './sender.js';
export { SubscriptionError, type CreateSubscriptionInput, type UpdateSubscriptionInput, type Subscriptions } from './subscriptions.js';
export type { Worker, WorkerOptions, Clock, EndpointDisabledEvent } from './worker.js';
export { DEFAULT_RETRY_SCHEDULE_MS, type RetryPolicyOptions } from './retry-policy.js';
export { SsrfError, type AddressPolicy } from './ssrf.js';
export { generateSecret } from './secrets.js';
