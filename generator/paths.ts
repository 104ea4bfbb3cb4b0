import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';

/** The package root, found from this file whether it runs from source or from dist/. */
export const PACKAGE_ROOT = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) || !existsSync(join(dir, 'schemas'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('hookgen: cannot find the package root (package.json beside schemas/)');
    dir = up;
  }
  return dir;
})();

export const SPEC_SCHEMA_FILE = join(PACKAGE_ROOT, 'schemas', 'spec.schema.json');
export const BUILT_IN_PROVIDERS_DIR = join(PACKAGE_ROOT, 'schemas', 'providers');
export const GENERATED_DIR = join(PACKAGE_ROOT, 'generated');

export function builtInSpecFile(id: string): string {
  return resolve(BUILT_IN_PROVIDERS_DIR, id, 'provider.yaml');
}
