import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument, isMap, isSeq, isScalar, type Node } from 'yaml';

/** A position in a file, 1-based, as editors and `file:line:col` links use it. */
export interface SourcePosition {
  file: string;
  line: number;
  col: number;
}

export interface LoadedYaml {
  file: string;
  data: unknown;
  /**
   * Where the value at a JSON Pointer (`/signatures/0/from`) starts, or its key with `{ key: true }`;
   * the nearest parent when it is absent.
   */
  positionOf(pointer: string, options?: { key?: boolean }): SourcePosition;
  /** YAML syntax errors, already positioned. */
  syntaxErrors: Array<{ position: SourcePosition; message: string }>;
}

export function loadYaml(file: string, text = readFileSync(file, 'utf8')): LoadedYaml {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number): SourcePosition => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, col };
  };
  const syntaxErrors = doc.errors.map((e) => ({ position: at(e.pos[0]), message: e.message.split('\n')[0]! }));
  return {
    file,
    data: syntaxErrors.length ? undefined : doc.toJS({ maxAliasCount: 100 }),
    syntaxErrors,
    positionOf(pointer, options = {}) {
      const tokens = pointer.split('/').slice(1).map((t) => t.replaceAll('~1', '/').replaceAll('~0', '~'));
      let node: Node | null | undefined = doc.contents as Node | null;
      let best = node?.range?.[0] ?? 0;
      for (const [i, token] of tokens.entries()) {
        if (isMap(node)) {
          const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === token);
          if (!pair) break;
          best = (pair.key as Node).range?.[0] ?? best;
          if (options.key && i === tokens.length - 1) break;
          node = pair.value as Node | null;
          if (node?.range) best = node.range[0];
        } else if (isSeq(node)) {
          node = node.items[Number(token)] as Node | undefined;
          if (!node?.range) break;
          best = node.range[0];
        } else break;
      }
      return at(best);
    },
  };
}
