import { describe, expect, it } from 'vitest';
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inDir, repo, snapshot, tempProject } from './support.js';
import { contentHash } from '../../generator/project/hash.js';

const read = (dir: string, file: string) => readFileSync(join(dir, file), 'utf8');
const config = (dir: string) => JSON.parse(read(dir, 'hookgen.config.json'));

describe('hookgen init', () => {
  it('writes hookgen.config.json with the defaults, asking nothing when stdin is not a terminal', async () => {
    const dir = tempProject();
    const result = await inDir(dir, ['init']);
    expect(result.exit).toBe(0);
    expect(config(dir)).toEqual({ outDir: 'src/webhooks', framework: 'node', runtimeImport: 'hookgen', providers: {} });
    expect(result.stdout).toContain('created hookgen.config.json');
  });

  it('takes --out and --framework, answers --json, and changes nothing the second time', async () => {
    const dir = tempProject();
    const first = await inDir(dir, ['init', '--yes', '--out', 'app/hooks', '--framework', 'express', '--json']);
    expect(JSON.parse(first.stdout)).toMatchObject({ status: 'created', outDir: 'app/hooks', framework: 'express', runtimeImport: 'hookgen' });
    const before = snapshot(dir);
    const again = await inDir(dir, ['init', '--yes', '--out', 'elsewhere', '--json']);
    expect(JSON.parse(again.stdout)).toMatchObject({ status: 'unchanged', outDir: 'app/hooks' });
    expect(snapshot(dir)).toEqual(before);
  });

  it('refuses an unknown framework (exit 2)', async () => {
    const result = await inDir(tempProject(), ['init', '--yes', '--framework', 'rails']);
    expect(result.exit).toBe(2);
  });
});

describe('hookgen add-provider', () => {
  it('writes the built-in module with the runtime imported from hookgen, records hashes, scaffolds glue, registers the export', async () => {
    const dir = tempProject();
    await inDir(dir, ['init', '--yes']);
    const result = await inDir(dir, ['add-provider', 'trello', '--json']);
    expect(result.exit).toBe(0);
    const out = JSON.parse(result.stdout);
    expect(out).toMatchObject({ provider: 'trello', source: 'trello', framework: 'node', conflicts: [], index: 'added', scaffolded: ['src/webhooks/trello/server.ts'] });
    expect(out.written.sort()).toEqual(['src/webhooks/trello/events.ts', 'src/webhooks/trello/index.ts', 'src/webhooks/trello/spec.ts']);
    const index = read(dir, 'src/webhooks/trello/index.ts');
    expect(index).toContain("import { defineProvider } from 'hookgen';");
    expect(index).not.toContain('../../runtime');
    expect(read(dir, 'src/webhooks/trello/spec.ts')).toContain("from 'hookgen'");
    // The same module the package ships, with only the import and the banner's path changed.
    expect(read(dir, 'src/webhooks/trello/events.ts').split('\n').slice(1)).toEqual(readFileSync(join(repo, 'generated/trello/events.ts'), 'utf8').split('\n').slice(1));
    const entry = config(dir).providers.trello;
    expect(entry.files['src/webhooks/trello/events.ts']).toBe(contentHash(read(dir, 'src/webhooks/trello/events.ts')));
    expect(entry.scaffolded).toEqual(['src/webhooks/trello/server.ts']);
    expect(read(dir, 'src/webhooks/index.ts')).toContain("export { trello } from './trello/index.js';");
    const glue = read(dir, 'src/webhooks/trello/server.ts');
    expect(glue).toContain('createReceiver(trello');
    expect(glue).toContain('callbackUrl: process.env.TRELLO_CALLBACK_URL!');
    expect(glue).toContain('secret: process.env.TRELLO_API_SECRET!');
  });

  it('changes nothing when run twice (files, mtimes, config, index)', async () => {
    const dir = tempProject();
    await inDir(dir, ['init', '--yes']);
    await inDir(dir, ['add-provider', 'trello']);
    const before = snapshot(dir);
    const again = await inDir(dir, ['add-provider', 'trello', '--json']);
    expect(again.exit).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ written: [], scaffolded: [], kept: ['src/webhooks/trello/server.ts'], index: 'unchanged' });
    expect(snapshot(dir)).toEqual(before);
  });

  it('adds its export to an index.ts the user wrote, keeping every byte of theirs', async () => {
    const dir = tempProject();
    await inDir(dir, ['init', '--yes']);
    mkdirSync(join(dir, 'src/webhooks'), { recursive: true });
    const mine = [
      '// my webhooks',
      "import {",
      "  helper,",
      "} from './helper.js';",
      "/* export { trello } from './trello/index.js'; (a comment, not an export) */",
      "export const answer = helper(42); // keep me",
      '',
      'function local() { return `export { x } from "./trello/index.js"`; }',
      '',
    ].join('\n');
    writeFileSync(join(dir, 'src/webhooks/index.ts'), mine);
    await inDir(dir, ['add-provider', 'trello']);
    await inDir(dir, ['add-provider', 'stripe']);
    const text = read(dir, 'src/webhooks/index.ts');
    // Inserted after the last top-level import/export declaration; comments and strings do not count.
    expect(text).toBe(mine.replace("} from './helper.js';", "} from './helper.js';\nexport { trello } from './trello/index.js';\nexport { stripe } from './stripe/index.js';"));
  });

  it('refuses to overwrite a generated file the user edited (exit 1), and writes nothing; --force overwrites', async () => {
    const dir = tempProject();
    await inDir(dir, ['init', '--yes']);
    await inDir(dir, ['add-provider', 'trello']);
    appendFileSync(join(dir, 'src/webhooks/trello/spec.ts'), '// my change\n');
    // Make the next render differ from what is on disk elsewhere too: delete one file.
    rmSync(join(dir, 'src/webhooks/trello/index.ts'));
    const before = snapshot(dir);
    const refused = await inDir(dir, ['add-provider', 'trello']);
    expect(refused.exit).toBe(1);
    expect(refused.stderr).toContain('src/webhooks/trello/spec.ts: edited since hookgen wrote it');
    expect(refused.stderr).toContain('hookgen diff trello');
    expect(refused.stderr).toContain('--force');
    expect(snapshot(dir)).toEqual(before);

    const diff = await inDir(dir, ['diff', 'trello']);
    expect(diff.exit).toBe(1);
    expect(diff.stdout).toContain('--- hookgen/src/webhooks/trello/spec.ts');
    expect(diff.stdout).toContain('+// my change');
    expect(diff.stdout).toMatch(/^@@ -\d+,\d+ \+\d+,\d+ @@$/m);
    const json = JSON.parse((await inDir(dir, ['diff', 'trello', '--json'])).stdout);
    expect(json.files.map((f: { status: string }) => f.status).sort()).toEqual(['changed', 'missing', 'same']);

    const forced = await inDir(dir, ['add-provider', 'trello', '--force']);
    expect(forced.exit).toBe(0);
    expect(read(dir, 'src/webhooks/trello/spec.ts')).not.toContain('my change');
    expect((await inDir(dir, ['diff', 'trello'])).exit).toBe(0);
  });

  it('treats a file it did not write as the user\'s (untracked conflict)', async () => {
    const dir = tempProject();
    await inDir(dir, ['init', '--yes']);
    mkdirSync(join(dir, 'src/webhooks/stripe'), { recursive: true });
    writeFileSync(join(dir, 'src/webhooks/stripe/events.ts'), 'export type Mine = 1;\n');
    const result = await inDir(dir, ['add-provider', 'stripe', '--json']);
    expect(result.exit).toBe(1);
    expect(JSON.parse(result.stdout).conflicts).toEqual([{ file: 'src/webhooks/stripe/events.ts', reason: 'untracked' }]);
    expect(existsSync(join(dir, 'src/webhooks/stripe/index.ts'))).toBe(false);
  });

  it('never overwrites the glue file, which is the user\'s once written', async () => {
    const dir = tempProject();
    await inDir(dir, ['init', '--yes', '--framework', 'express']);
    await inDir(dir, ['add-provider', 'trello']);
    writeFileSync(join(dir, 'src/webhooks/trello/route.ts'), '// my route\n');
    const again = await inDir(dir, ['add-provider', 'trello', '--force']);
    expect(again.exit).toBe(0);
    expect(read(dir, 'src/webhooks/trello/route.ts')).toBe('// my route\n');
  });

  it('needs hookgen init first (exit 2), and knows unknown providers (exit 2)', async () => {
    const bare = await inDir(tempProject(), ['add-provider', 'trello']);
    expect(bare.exit).toBe(2);
    expect(bare.error?.message).toContain('hookgen init');
    const dir = tempProject();
    await inDir(dir, ['init', '--yes']);
    const unknown = await inDir(dir, ['add-provider', 'trelo']);
    expect(unknown.exit).toBe(2);
    expect(unknown.error?.message).toContain('no built-in provider `trelo`');
  });

  it('writes glue for every framework, each importing the adapter its docs name', async () => {
    const dir = tempProject();
    await inDir(dir, ['init', '--yes']);
    const expected: Record<string, [string, string]> = {
      node: ['server.ts', 'createServer(receiver.node)'],
      express: ['route.ts', "import { createExpressHandler } from 'hookgen/adapters/express'"],
      fastify: ['plugin.ts', "import { webhookPlugin } from 'hookgen/adapters/fastify'"],
      koa: ['middleware.ts', "import { createKoaMiddleware } from 'hookgen/adapters/koa'"],
      hono: ['route.ts', 'receiver.fetch(c.req.raw)'],
      next: ['route.ts', 'export const POST = (request: Request) => receiver.fetch(request)'],
      lambda: ['handler.ts', "import { createLambdaHandler } from 'hookgen/adapters/lambda'"],
      fetch: ['handler.ts', 'export const handler = (request: Request) => receiver.fetch(request)'],
    };
    for (const [framework, [file, text]] of Object.entries(expected)) {
      rmSync(join(dir, 'src'), { recursive: true, force: true });
      writeFileSync(join(dir, 'hookgen.config.json'), JSON.stringify({ outDir: 'src/webhooks', framework, runtimeImport: 'hookgen', providers: {} }));
      const result = await inDir(dir, ['add-provider', 'github']);
      expect(result.exit, framework).toBe(0);
      expect(read(dir, `src/webhooks/github/${file}`), framework).toContain(text);
    }
  });
});

describe('hookgen generate in a project', () => {
  it('regenerates every provider of the config (built-in and local spec), and --check reports stale files', async () => {
    const dir = tempProject();
    await inDir(dir, ['init', '--yes']);
    await inDir(dir, ['new-provider', 'acme']);
    await inDir(dir, ['add-provider', 'trello']);
    await inDir(dir, ['add-provider', './acme/provider.yaml']);
    expect((await inDir(dir, ['generate', '--check'])).exit).toBe(0);

    // The contributor edits the spec's schema: the module is stale until `generate` runs.
    const schemaFile = join(dir, 'acme/events/item.created.schema.json');
    const schema = JSON.parse(readFileSync(schemaFile, 'utf8'));
    schema.properties.data.properties.item.properties.price = { type: 'number' };
    writeFileSync(schemaFile, JSON.stringify(schema, null, 2));
    rmSync(join(dir, 'src/webhooks/trello/spec.ts'));
    const check = await inDir(dir, ['generate', '--check']);
    expect(check.exit).toBe(1);
    expect(check.stderr).toContain('src/webhooks/acme/events.ts');
    expect(check.stderr).toContain('src/webhooks/trello/spec.ts');

    const generated = await inDir(dir, ['generate', '--json']);
    expect(generated.exit).toBe(0);
    expect(JSON.parse(generated.stdout).written.sort()).toEqual(['src/webhooks/acme/events.ts', 'src/webhooks/trello/spec.ts']);
    expect(read(dir, 'src/webhooks/acme/events.ts')).toContain('price?: number');
    expect((await inDir(dir, ['generate', '--check'])).exit).toBe(0);
    // It never touched the package's own generated/ folder.
    expect(existsSync(join(dir, 'generated'))).toBe(false);
  });
});
