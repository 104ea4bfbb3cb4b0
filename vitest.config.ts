import { fileURLToPath } from 'node:url';
import { configDefaults, defineConfig, type Plugin } from 'vitest/config';

const path = (relative: string) => fileURLToPath(new URL(relative, import.meta.url));

/**
 * The web project runs the receiving tests on the Web Crypto module that runtimes without node:crypto
 * get (package.json `imports`, `default` condition). This plugin fails the run if receiving code
 * reaches the node implementation anyway: node:crypto or node:tls imported from runtime/ outside the
 * node-only parts (the sender, the store, the signer used by tests to sign examples, node adapters).
 */
function refuseNodeCrypto(): Plugin {
  const nodeOnly = /\/runtime\/(send|store|sign|crypto\/node\.ts|verify\/certificates\.ts)/;
  return {
    name: 'refuse-node-crypto',
    enforce: 'pre',
    transform(code, id) {
      if (!id.includes('/runtime/') || nodeOnly.test(id)) return null;
      const found = /(?:from|import)\s*['"]((?:node:)?(?:crypto|tls)|[^'"]*\/(?:crypto\/node|verify\/certificates)\.js)['"]/.exec(code);
      if (found) throw new Error(`${id} imports ${found[1]}: receiving code must reach crypto through #crypto`);
      return null;
    },
  };
}

export default defineConfig({
  test: {
    testTimeout: 30_000,
    pool: 'forks',
    // oclif's runCommand captures process.stdout; vitest's console interception would hide it.
    disableConsoleIntercept: true,
    projects: [
      {
        extends: true,
        resolve: { alias: { '#crypto': path('./runtime/crypto/node.ts') } },
        test: {
          name: 'node',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, 'test/web/**'],
          typecheck: { enabled: true, include: ['test/**/*.test-d.ts'], tsconfig: './tsconfig.json' },
        },
      },
      {
        extends: true,
        resolve: { alias: { '#crypto': path('./runtime/crypto/web.ts') } },
        plugins: [refuseNodeCrypto()],
        test: {
          name: 'web',
          include: ['test/spec-examples.test.ts', 'test/verifier.test.ts', 'test/template.test.ts', 'test/handshakes.test.ts', 'test/web/**/*.test.ts'],
        },
      },
    ],
  },
});
