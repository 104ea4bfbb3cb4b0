import type { IncomingMessage } from 'node:http';
import { reject, type Rejection } from '../verify/errors.js';
import { BodyCollector } from './body.js';

/**
 * Reads a node request stream to its end, refusing it as soon as it passes the limit (413) or when
 * it does not finish in time (408). Shared by every adapter that reads node:http streams itself.
 */
export function readNodeStream(req: IncomingMessage, maxBodyBytes: number, timeoutMs: number): Promise<Uint8Array | Rejection> {
  return new Promise((resolve) => {
    const collector = new BodyCollector(maxBodyBytes);
    const finish = (result: Uint8Array | Rejection) => {
      clearTimeout(timer);
      req.off('data', onData).off('end', onEnd).off('error', onError);
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      if (!collector.add(chunk)) {
        req.pause();
        finish(collector.tooLarge());
      }
    };
    const onEnd = () => finish(collector.bytes());
    const onError = (error: Error) => finish(reject('invalid_body', `the request stream failed: ${error.message}`));
    const timer = setTimeout(() => {
      req.pause();
      finish(reject('body_timeout', `the body did not arrive within ${timeoutMs} ms`));
    }, timeoutMs);
    req.on('data', onData).on('end', onEnd).on('error', onError);
  });
}
