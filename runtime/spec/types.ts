/**
 * The provider spec as the runtime sees it: the YAML spec after the generator has validated it,
 * applied defaults and dropped what only build time needs (JSON Schemas, examples, docs).
 * `generated/<id>/spec.ts` holds one of these as data; `createReceiver` compiles it into closures.
 *
 * Every string called a "template" is written in the template language of docs/spec-language.md
 * (`{body}`, `{header:x-hub-signature-256}`, `{param:t}.{body}`, `{sha256_hex(body)}` …).
 */

/** json; form (application/x-www-form-urlencoded); xml (SOAP); text (JSON sent as text/plain). */
export type BodyKind = 'json' | 'form' | 'xml' | 'text';

export type Algorithm =
  | 'hmac-sha1'
  | 'hmac-sha256'
  | 'hmac-sha512'
  | 'sha256'
  | 'ed25519'
  | 'ecdsa-p256-sha256'
  | 'rsa-sha256'
  | 'rsa-sha1'
  | 'token'
  /** A named built-in verifier (`builtin`), for schemes that are a call to the provider's API. */
  | 'builtin';

export type KeyDecoding =
  /** The credential's UTF-8 bytes (GitHub, Stripe even though its secrets start with whsec_, Slack). */
  | 'utf8'
  /** `whsec_<base64>`: base64 after the prefix (Standard Webhooks, Svix). */
  | 'whsec'
  | 'base64'
  | 'hex'
  /** A public key: PEM, or base64 DER SPKI. */
  | 'spki'
  /** An Ed25519 public key as 32 raw bytes in hex (Discord). */
  | 'ed25519-hex'
  /** An Ed25519 public key as `whpk_<base64>` or bare base64 of the 32 raw bytes (Standard Webhooks v1a). */
  | 'ed25519-base64';

/**
 * How a signature is spelled. Only the canonical spelling is accepted: lower-case `hex`, padded
 * `base64`, unpadded `base64url`; `hex-any-case` for senders that write upper case (ASP.NET).
 */
export type DigestEncoding = 'hex' | 'hex-any-case' | 'base64' | 'base64url' | 'utf8';

export interface SignatureFormat {
  /** A fixed prefix before the signature (`sha256=`, `v0=`); a value without it is malformed. */
  prefix?: string;
  /** The value is a list of entries separated by this string (`,` for Stripe, ` ` for Standard Webhooks). */
  list?: string;
  /** Within an entry, the separator between its key and its value (`=` for Stripe, `,` for Standard Webhooks). */
  pair?: string;
  /** With `list`: the entry key whose values are signature candidates (`v1`); other keys are ignored. */
  signature?: string;
}

export interface TimestampRule {
  /** Template producing the timestamp text (`{header:x-slack-request-timestamp}`, `{param:t}`). */
  from: string;
  unit: 's' | 'ms' | 'iso8601';
  /** Seconds a timestamp may lie in the past. */
  tolerance: number;
  /** Seconds a timestamp may lie in the future; `null` means no bound (Stripe checks only the past). */
  future: number | null;
}

export interface KeyRule {
  /** The credential holding the key. Absent when the key is a certificate the request names. */
  credential?: string;
  decode: KeyDecoding;
  /**
   * The public key is in a certificate the request points to (PayPal's `PAYPAL-CERT-URL`): fetched
   * over HTTPS from the listed hosts only, checked up to a trusted root, cached by URL.
   */
  certificate?: CertificateRule;
  /**
   * Choose the secret by a value of the request (Pusher's `{header:x-pusher-key}`): the credential is
   * then a set of `id=secret` entries, and the request's id picks one.
   */
  select?: string;
}

export interface CertificateRule {
  /** Template of the certificate's URL. */
  url: string;
  /** Host names the URL may name (exact, or `*.domain` for subdomains). */
  hosts: string[];
  /** A DNS name the certificate must be issued for. */
  subject?: string;
}

export interface SignatureScheme {
  /** Short name used in messages and in `sign({ scheme })`. */
  name: string;
  algorithm: Algorithm;
  key: KeyRule;
  /** Template that yields the signature header value (usually one header). */
  from: string;
  format: SignatureFormat;
  /** Template of the signed bytes. Absent for `token`. */
  content?: string;
  encoding: DigestEncoding;
  timestamp?: TimestampRule;
  /** With algorithm `builtin`: which built-in verifier, and its parameters as templates. */
  builtin?: { name: string; with: Record<string, string> };
}

export interface NameChoice {
  /** The choice applies when this template resolves to a non-empty value. */
  when?: string;
  /** The choice applies when each template (key) renders to exactly its value (a template too). */
  equals?: Record<string, string>;
  value: string;
}

export interface EventRule {
  /** Ordered choices; the first whose templates resolve gives the event name. */
  name: NameChoice[];
  /** Optional refinement (`{json:/action}`) that makes the `name.action` dispatch key. */
  action?: string;
  /** The delivery id used for deduplication. */
  id?: NameChoice[];
  /**
   * Fan-out: a JSON Pointer to an array (Pusher `/events`); one event per element, whose templates
   * read the element as `{item:/name}` and whose payload is the element. A single value counts as one.
   */
  each?: string;
}

export interface HandshakeRule {
  name: string;
  when: {
    method?: string[];
    /** template → value it must equal. */
    equals?: Record<string, string>;
    /** templates that must resolve to a non-empty value. */
    present?: string[];
  };
  /** Whether the request must pass signature verification before it is answered. */
  authenticate: boolean;
  respond: ResponseTemplate;
}

export interface ResponseTemplate {
  status: number;
  headers?: Record<string, string>;
  /** Template of the response body. */
  body?: string;
}

export interface CredentialSpec {
  primary: boolean;
  env?: string;
  description?: string;
  /** Whether a receiver can be built without it (a scheme whose key is absent is skipped). */
  optional: boolean;
}

export interface ConfigSpec {
  description?: string;
  required: boolean;
  default?: string;
}

/** Built-in body shapes for sending: Standard Webhooks' `{ type, timestamp, data }`, the data itself, a Stripe event, ASP.NET's notifications. */
export type EnvelopeName = 'standard-webhooks' | 'data' | 'stripe' | 'aspnet';

export interface RuntimeSpec {
  id: string;
  name: string;
  docs?: string;
  /** Accepted body kinds, chosen by the request's Content-Type. */
  content: BodyKind[];
  /** For form bodies: a field whose value is the JSON document (`payload=` of GitHub and Slack). */
  formJsonField?: string;
  /** For form bodies: read bracketed names (`data[email]`) into nested objects (MailChimp, PHP senders). */
  formNested?: boolean;
  /** HTTP methods that carry events. */
  methods: string[];
  credentials: Record<string, CredentialSpec>;
  config: Record<string, ConfigSpec>;
  /** Alternative schemes: a request passes when one that applies verifies. */
  signatures: SignatureScheme[];
  event: EventRule;
  handshakes: HandshakeRule[];
  success: ResponseTemplate;
  /** How refusals are answered when not as JSON (Salesforce's SOAP fault); templates read {error:…}. */
  rejection?: { status?: number; headers?: Record<string, string>; body: string };
  /** The body a sender signing as this provider sends (`createSender({ signing })`); see `envelopes`. */
  envelope?: EnvelopeName;
  /** Every event name the provider documents (dispatch keys of the generated event map). */
  events: string[];
}
