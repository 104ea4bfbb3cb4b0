import { createHash } from 'node:crypto';

/** The content hash recorded for every file hookgen writes into a project. */
export function contentHash(text: string): string {
  return `sha256-${createHash('sha256').update(text, 'utf8').digest('hex')}`;
}
