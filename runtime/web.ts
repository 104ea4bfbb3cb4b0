/**
 * hookgen's runtime for platforms without node:crypto (Cloudflare Workers, Deno Deploy, Vercel Edge,
 * browsers): package.json's `default` condition of `hookgen`. Receivers only; signatures are checked
 * with Web Crypto. The sender needs Node (a store, sockets, node:crypto) and is in the node entry.
 */
export * from './receiving.js';
