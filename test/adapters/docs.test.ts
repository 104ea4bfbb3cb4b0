import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/**
 * docs/frameworks.md shows each docs/examples/*.ts file as users write it: the same text with the
 * repository-relative imports swapped for the package names. The other adapter tests run those
 * files against the real frameworks; this one keeps the page equal to them, and the package names
 * resolvable through package.json `exports`.
 */

const root = new URL('../../', import.meta.url);
const page = readFileSync(new URL('docs/frameworks.md', root), 'utf8');
const examples = readdirSync(new URL('docs/examples/', root)).filter((f) => f.endsWith('.ts'));

const PACKAGE_PATHS: Array<[RegExp, string]> = [
  [/'\.\.\/\.\.\/runtime\/index\.js'/g, "'hookgen'"],
  [/'\.\.\/\.\.\/generated\/([a-z0-9-]+)\/index\.js'/g, "'hookgen/providers/$1'"],
  [/'\.\.\/\.\.\/runtime\/adapters\/([a-z0-9-]+)\.js'/g, "'hookgen/adapters/$1'"],
];

/** The file as a user's app would import hookgen. */
function asUserCode(source: string): string {
  return PACKAGE_PATHS.reduce((text, [pattern, replacement]) => text.replace(pattern, replacement), source);
}

function blockAfter(marker: string): string | undefined {
  const at = page.indexOf(marker);
  if (at < 0) return undefined;
  const match = /^```ts\n([\s\S]*?)^```$/m.exec(page.slice(at + marker.length));
  return match?.[1];
}

/** Where package.json `exports` sends a package path, as the source file the build compiles it from. */
function exportedSource(specifier: string): string | undefined {
  const exportsMap = (JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { exports: Record<string, string | { default: string }> }).exports;
  const subpath = `.${specifier.slice('hookgen'.length)}`;
  for (const [key, target] of Object.entries(exportsMap)) {
    const file = typeof target === 'string' ? target : target.default;
    const star = key.indexOf('*');
    const matched = star < 0 ? (key === subpath ? '' : undefined) : subpath.startsWith(key.slice(0, star)) && subpath.endsWith(key.slice(star + 1)) ? subpath.slice(star, subpath.length - (key.length - star - 1)) : undefined;
    if (matched !== undefined) return file.replace('*', matched).replace(/^\.\/dist\//, '').replace(/\.js$/, '.ts');
  }
  return undefined;
}

describe('docs/frameworks.md', () => {
  it('has the examples', () => {
    expect(examples.length).toBeGreaterThanOrEqual(7);
  });

  it.each(examples)('shows docs/examples/%s as it is, imports as a user writes them', (file) => {
    const source = readFileSync(new URL(`docs/examples/${file}`, root), 'utf8');
    const block = blockAfter(`<!-- example: docs/examples/${file} -->`);
    expect(block, `no \`\`\`ts block after the marker for ${file}`).toBeDefined();
    expect(block).toBe(asUserCode(source));
    expect(block).not.toMatch(/from '\.\.?\//);
  });

  it('every hookgen import on the page resolves through package.json exports to a source file', () => {
    const specifiers = new Set([...page.matchAll(/from '(hookgen(?:\/[a-z0-9-]+)*)'/g)].map((m) => m[1]!));
    expect(specifiers.size).toBeGreaterThanOrEqual(7);
    for (const specifier of specifiers) {
      const source = exportedSource(specifier);
      expect(source, specifier).toBeDefined();
      expect(existsSync(new URL(source!, root)), `${specifier} → ${source}`).toBe(true);
    }
  });
});
