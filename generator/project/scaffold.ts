import { createHmac } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import Handlebars from 'handlebars';
import { PACKAGE_ROOT, SPEC_SCHEMA_FILE } from '../paths.js';
import { ProjectError } from './config.js';

export interface ScaffoldOptions {
  id: string;
  /** The folder the provider's folder is created in. */
  dir: string;
  event?: string;
  name?: string;
  force?: boolean;
}

export interface ScaffoldResult {
  id: string;
  specFile: string;
  files: string[];
  event: string;
  /** The secret the example is signed with. */
  exampleSecret: string;
}

const template = (name: string) => Handlebars.compile(readFileSync(join(PACKAGE_ROOT, 'generator', 'templates', `${name}.hbs`), 'utf8'), { noEscape: true, strict: true });

/** `hookgen new-provider`: a spec that validates as it is, with a signed example that verifies. */
export function scaffoldProvider(options: ScaffoldOptions): ScaffoldResult {
  const { id } = options;
  if (!/^[a-z][a-z0-9-]*$/.test(id)) throw new ProjectError(`a provider id is lower case letters, digits and dashes, starting with a letter (^[a-z][a-z0-9-]*$); got \`${id}\``);
  const event = options.event ?? 'item.created';
  if (!/^[A-Za-z0-9_.:-]+$/.test(event)) throw new ProjectError(`an event name for a file name: letters, digits, _ . : -; got \`${event}\``);
  const root = resolve(options.dir, id);
  const name = options.name ?? id.split('-').map((w) => w[0]!.toUpperCase() + w.slice(1)).join(' ');
  const pascal = event.split(/[^A-Za-z0-9]+/).filter(Boolean).map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');
  const exampleSecret = `${id}-example-secret`;
  const eventId = 'evt_0001';
  const payload = template('new-provider-payload.json')({ event, eventId });
  const signature = createHmac('sha256', exampleSecret).update(payload, 'utf8').digest('hex');
  const tamperedSignature = signature.slice(0, -1) + (signature.endsWith('0') ? '1' : '0');
  const posix = (p: string) => p.split(sep).join('/');
  const files: Record<string, string> = {
    'provider.yaml': template('new-provider.yaml')({
      id,
      name,
      event,
      eventId,
      envPrefix: id.toUpperCase().replace(/-/g, '_'),
      signatureHeader: `x-${id}-signature`,
      signatureFrom: `{header:x-${id}-signature}`,
      exampleSecret,
      signature,
      tamperedSignature,
      schemaRef: posix(relative(root, SPEC_SCHEMA_FILE)),
      docsRef: 'node_modules/hookgen/docs/spec-language.md',
    }),
    [`events/${event}.schema.json`]: template('new-provider-event.schema.json')({ event, name, typeName: `${pascal}Event` }),
    [`examples/payloads/${event}.json`]: payload,
  };
  const existing = Object.keys(files).filter((f) => existsSync(join(root, f)));
  if (existing.length && !options.force) throw new ProjectError(`${posix(relative(process.cwd(), root)) || '.'} already has ${existing.join(', ')}; pass --force to overwrite`, 1);
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, file)), { recursive: true });
    writeFileSync(join(root, file), text);
  }
  return { id, specFile: join(root, 'provider.yaml'), files: Object.keys(files).map((f) => join(root, f)), event, exampleSecret };
}
