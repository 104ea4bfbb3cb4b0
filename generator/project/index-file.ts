/**
 * Registers a provider module in the user's `<outDir>/index.ts` without touching anything else in it.
 *
 * The file is the user's: they may have added their own exports, comments, or code. It is parsed with
 * the TypeScript compiler API (the project compiles TypeScript, so `typescript` is there; it is loaded
 * only here, and only when needed), which tells real import/export declarations from text in comments
 * and strings and gives exact positions. The new line goes right after the last top-level import or
 * export declaration, or at the end when there is none; every other byte stays as it was. Without
 * `typescript` the same rules run on lines (an export line that names the module is found by its text;
 * the new line is appended at the end, which is valid anywhere at the top level of a module).
 */

export const INDEX_HEADER = '// Provider modules added by `hookgen add-provider`. This file is yours: hookgen only adds export lines to it.\n';

export function exportLine(id: string, camel: string): string {
  return `export { ${camel} } from './${id}/index.js';`;
}

const SPECIFIERS = (id: string) => new Set([`./${id}/index.js`, `./${id}/index`, `./${id}`, `./${id}/index.ts`]);

type TS = typeof import('typescript');
let ts: TS | null | undefined;
async function loadTypeScript(): Promise<TS | null> {
  if (ts === undefined) {
    try {
      const mod = (await import('typescript')) as TS & { default?: TS };
      ts = mod.default ?? mod;
    } catch {
      ts = null;
    }
  }
  return ts;
}

/** The index text with the provider's export added, or the same text when it is already there. */
export async function addProviderExport(text: string | undefined, id: string, camel: string): Promise<string> {
  const line = exportLine(id, camel);
  if (text === undefined || text.trim() === '') return `${INDEX_HEADER}${line}\n`;
  const typescript = await loadTypeScript();
  return typescript ? insertWithCompiler(typescript, text, id, line) : insertByLines(text, id, line);
}

function insertWithCompiler(typescript: TS, text: string, id: string, line: string): string {
  const source = typescript.createSourceFile('index.ts', text, typescript.ScriptTarget.Latest, false, typescript.ScriptKind.TS);
  const wanted = SPECIFIERS(id);
  let lastEnd = -1;
  for (const statement of source.statements) {
    if (!typescript.isImportDeclaration(statement) && !typescript.isExportDeclaration(statement)) continue;
    const specifier = statement.moduleSpecifier;
    if (specifier && typescript.isStringLiteral(specifier) && wanted.has(specifier.text) && typescript.isExportDeclaration(statement)) return text;
    lastEnd = statement.end;
  }
  if (lastEnd < 0) return appendLine(text, line);
  return `${text.slice(0, lastEnd)}\n${line}${text.slice(lastEnd)}`;
}

function insertByLines(text: string, id: string, line: string): string {
  const escaped = [...SPECIFIERS(id)].map((s) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('|');
  if (new RegExp(`^\\s*export\\b[^;]*\\bfrom\\s*['"](?:${escaped})['"]`, 'm').test(text)) return text;
  return appendLine(text, line);
}

function appendLine(text: string, line: string): string {
  return `${text}${text.endsWith('\n') ? '' : '\n'}${line}\n`;
}
