/**
 * The user's path, end to end, in a fresh project outside this repository: `npm pack`, install the
 * tarball, `hookgen init --yes`, `hookgen add-provider trello`, a handler that uses the generated types
 * (tsc accepts it, and refuses a property that does not exist), run it, and `hookgen trigger` a signed
 * createCard at it. Then the contributor's path: `new-provider`, edit the schema, `add-provider` the
 * local spec, the same checks. Needs `npm run build` first (npm test's pretest and CI do it) and the
 * npm registry for the project's own dependencies.
 *
 * better-sqlite3 and pg are optional peer dependencies: a project that only receives installs neither.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';

const repo = resolve(import.meta.dirname, '..', '..');
const run = promisify(execFile);
const timings: Array<[string, number]> = [];

async function timed<T>(label: string, fn: () => Promise<T>): Promise<T> {
  const start = performance.now();
  try {
    return await fn();
  } finally {
    timings.push([label, Math.round(performance.now() - start)]);
  }
}

/** Runs a command in the project; resolves with its output and exit code (never rejects on exit ≠ 0). */
async function sh(cwd: string, command: string, args: string[]) {
  try {
    const { stdout, stderr } = await run(command, args, { cwd, env: { ...process.env, NO_COLOR: '1', npm_config_update_notifier: 'false' }, maxBuffer: 32 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

const work = mkdtempSync(join(tmpdir(), 'hookgen-e2e-'));
const app = join(work, 'app');
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  console.log(`e2e timings (ms):\n${timings.map(([l, ms]) => `  ${l.padEnd(44)} ${String(ms).padStart(6)}`).join('\n')}`);
  rmSync(work, { recursive: true, force: true });
});

const SECRET = 'e2e-trello-secret';
const CALLBACK = 'https://example.com/webhooks/trello';

const MAIN = `import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createReceiver } from 'hookgen';
import { trello, acme } from './webhooks/index.js';

const trelloReceiver = createReceiver(trello, { secret: process.env.TRELLO_API_SECRET!, config: { callbackUrl: process.env.TRELLO_CALLBACK_URL! } })
  .on('createCard', (e) => {
    const name: string = e.payload.action.data.card.name;
    console.log(\`HANDLED trello createCard \${e.id} \${JSON.stringify(name)}\`);
  });
const acmeReceiver = createReceiver(acme, { secret: 'acme-example-secret' })
  .on('item.created', (e) => {
    const price: number | undefined = e.payload.data.item.price;
    console.log(\`HANDLED acme item.created \${e.id} \${e.payload.data.item.name} \${price ?? 'no price'}\`);
  });

const server = createServer((req, res) => (req.url?.startsWith('/acme') ? acmeReceiver.node(req, res) : trelloReceiver.node(req, res)));
server.listen(0, '127.0.0.1', () => console.log(\`PORT \${(server.address() as AddressInfo).port}\`));
`;

const BAD = `import { createReceiver } from 'hookgen';
import { trello, acme } from './webhooks/index.js';
createReceiver(trello, { secret: 's', config: { callbackUrl: 'u' } }).on('createCard', (e) => e.payload.action.data.card.nmae);
createReceiver(acme, { secret: 's' }).on('item.created', (e) => e.payload.data.item.prize);
`;

describe('a fresh project with the packed hookgen', () => {
  it('init, add-provider (built-in and local spec), typed handler compiles (and a typo does not), trigger reaches it', { timeout: 240_000 }, async () => {
    expect(existsSync(join(repo, 'dist/cli/commands/add-provider.js')), 'run `npm run build` first').toBe(true);
    const packed = await timed('npm pack', () => sh(repo, 'npm', ['pack', '--pack-destination', work, '--json']));
    expect(packed.code, packed.stderr).toBe(0);
    const tarball = join(work, readdirSync(work).find((f) => f.endsWith('.tgz'))!);

    mkdirSync(app);
    expect((await sh(app, 'npm', ['init', '-y'])).code).toBe(0);
    expect((await sh(app, 'npm', ['pkg', 'set', 'type=module'])).code).toBe(0);
    const install = await timed('npm i <tarball> typescript @types/node', () =>
      sh(app, 'npm', ['i', tarball, 'typescript@5.9.3', '@types/node@20', '--prefer-offline', '--no-audit', '--no-fund']),
    );
    expect(install.code, install.stderr).toBe(0);
    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, skipLibCheck: true, outDir: 'dist', rootDir: 'src', types: ['node'] }, include: ['src'] }, null, 2));

    const hookgen = (label: string, ...args: string[]) => timed(label, () => sh(app, 'npx', ['hookgen', ...args]));
    const init = await hookgen('npx hookgen init --yes', 'init', '--yes');
    expect(init.code, init.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(app, 'hookgen.config.json'), 'utf8'))).toMatchObject({ outDir: 'src/webhooks', runtimeImport: 'hookgen' });

    const add = await hookgen('npx hookgen add-provider trello', 'add-provider', 'trello');
    expect(add.code, add.stderr).toBe(0);
    expect(readFileSync(join(app, 'src/webhooks/trello/index.ts'), 'utf8')).toContain("from 'hookgen'");
    const again = await hookgen('npx hookgen add-provider trello (again)', 'add-provider', 'trello', '--json');
    expect(JSON.parse(again.stdout)).toMatchObject({ written: [], scaffolded: [], index: 'unchanged' });

    // The contributor path: scaffold a spec, edit its schema (a new field), add the local spec.
    const scaffold = await hookgen('npx hookgen new-provider acme', 'new-provider', 'acme', '--dir', 'specs');
    expect(scaffold.code, scaffold.stderr).toBe(0);
    const schemaFile = join(app, 'specs/acme/events/item.created.schema.json');
    const schema = JSON.parse(readFileSync(schemaFile, 'utf8'));
    schema.properties.data.properties.item.properties.price = { type: 'number', description: 'Added by the contributor.' };
    writeFileSync(schemaFile, JSON.stringify(schema, null, 2));
    expect((await hookgen('npx hookgen validate specs/acme/provider.yaml', 'validate', 'specs/acme/provider.yaml')).code).toBe(0);
    const addLocal = await hookgen('npx hookgen add-provider ./specs/acme/provider.yaml', 'add-provider', './specs/acme/provider.yaml');
    expect(addLocal.code, addLocal.stderr).toBe(0);
    expect((await hookgen('npx hookgen generate --check', 'generate', '--check')).code).toBe(0);

    // Types: a property that does not exist does not compile, in either module.
    writeFileSync(join(app, 'src/bad.ts'), BAD);
    const bad = await timed('tsc --noEmit (with a typo: must fail)', () => sh(app, 'npx', ['tsc', '--noEmit']));
    expect(bad.code).not.toBe(0);
    expect(bad.stdout).toMatch(/src\/bad\.ts\(3,\d+\): error TS\d+: Property 'nmae' does not exist/);
    expect(bad.stdout).toMatch(/src\/bad\.ts\(4,\d+\): error TS\d+: Property 'prize' does not exist/);
    rmSync(join(app, 'src/bad.ts'));
    writeFileSync(join(app, 'src/main.ts'), MAIN);
    const check = await timed('tsc --noEmit', () => sh(app, 'npx', ['tsc', '--noEmit']));
    expect(check.code, check.stdout).toBe(0);
    const emit = await timed('tsc (emit)', () => sh(app, 'npx', ['tsc']));
    expect(emit.code, emit.stdout).toBe(0);

    // Run the app, and trigger signed requests at it.
    const server = spawn(process.execPath, ['dist/main.js'], { cwd: app, env: { ...process.env, TRELLO_API_SECRET: SECRET, TRELLO_CALLBACK_URL: CALLBACK }, stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(server);
    const lines = createInterface({ input: server.stdout! })[Symbol.asyncIterator]();
    const next = async () => (await lines.next()).value as string;
    const port = /^PORT (\d+)$/.exec(await next())![1];

    const trigger = await hookgen('npx hookgen trigger trello createCard', 'trigger', 'trello', 'createCard', '--url', `http://127.0.0.1:${port}/webhooks/trello`, '--secret', SECRET, '--config', `callbackUrl=${CALLBACK}`, '--json');
    expect(trigger.code, trigger.stdout + trigger.stderr).toBe(0);
    expect(JSON.parse(trigger.stdout)).toMatchObject({ status: 200, ok: true });
    expect(await next()).toMatch(/^HANDLED trello createCard 6569f3c2a1b2c3d4e5f60711 "\S.*"$/);

    const wrong = await hookgen('npx hookgen trigger (wrong secret)', 'trigger', 'trello', 'createCard', '--url', `http://127.0.0.1:${port}/webhooks/trello`, '--secret', 'not-it', '--config', `callbackUrl=${CALLBACK}`);
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toContain('401');

    const local = await hookgen('npx hookgen trigger ./specs/acme/provider.yaml item.created', 'trigger', './specs/acme/provider.yaml', 'item.created', '--url', `http://127.0.0.1:${port}/acme`, '--secret', 'acme-example-secret');
    expect(local.code, local.stdout + local.stderr).toBe(0);
    expect(await next()).toBe('HANDLED acme item.created evt_0001 An example item no price');
    server.kill();
  });
});
