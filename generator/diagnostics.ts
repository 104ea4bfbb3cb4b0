import type { SourcePosition } from './load.js';

/** One problem in a spec, at the place it is, with what was expected and how to fix it. */
export interface Diagnostic {
  position: SourcePosition;
  message: string;
  hint?: string;
}

export function formatDiagnostic(d: Diagnostic, cwd = process.cwd()): string {
  const file = d.position.file.startsWith(cwd + '/') ? d.position.file.slice(cwd.length + 1) : d.position.file;
  return `${file}:${d.position.line}:${d.position.col}: ${d.message}${d.hint ? `\n  hint: ${d.hint}` : ''}`;
}

export class SpecError extends Error {
  constructor(readonly diagnostics: Diagnostic[]) {
    super(diagnostics.map((d) => formatDiagnostic(d)).join('\n'));
    this.name = 'SpecError';
  }
}
