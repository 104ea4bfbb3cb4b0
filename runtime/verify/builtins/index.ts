import type { Rejection } from '../errors.js';
import { paypalPostback, type Fetch, type PaypalPostbackParams } from './paypal-postback.js';

export type { Fetch } from './paypal-postback.js';

/**
 * Named built-in verifiers: schemes that are not a signature over a template (a call to the
 * provider's API). A spec names one with `algorithm: builtin` and `builtin: { name, with }`, whose
 * `with` templates are rendered from the request and configuration. Every addition is reviewed code.
 */
export const BUILTINS: Record<string, (params: Record<string, string>, body: string, fetch: Fetch, nowMs: number) => Promise<boolean | Rejection>> = {
  'paypal-postback': (params, body, fetch, nowMs) => paypalPostback(params as unknown as PaypalPostbackParams, body, fetch, nowMs),
};

/** The parameters each built-in needs, for the generator's checks. */
export const BUILTIN_PARAMETERS: Record<string, readonly string[]> = {
  'paypal-postback': ['apiBase', 'clientId', 'clientSecret', 'webhookId', 'transmissionId', 'transmissionTime', 'transmissionSig', 'certUrl', 'authAlgo'],
};
