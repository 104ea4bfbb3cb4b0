import { createRequire } from 'node:module';
import { normalizeTitles, pascalCase, rewriteRefs, type SchemaBundle } from '../schemas/bundle.js';

type Schema = Record<string, unknown>;

interface WebhookOperation {
  post: {
    operationId: string;
    description?: string;
    summary?: string;
    requestBody: { content: Record<string, { schema: { $ref: string } }> };
  };
}

interface OpenApiWebhooks {
  webhooks: Record<string, WebhookOperation>;
  components: { schemas: Record<string, Schema> };
}

/**
 * GitHub's own description of its webhooks (npm `@octokit/openapi-webhooks`, OpenAPI 3.1) as a
 * schema bundle: one definition per component schema, one event key per webhook operation
 * (`issues.opened`), and one per event name (`issues`) whose payload is any of its actions'.
 */
export function importOctokitOpenApiWebhooks(target = 'api.github.com'): SchemaBundle {
  const require = createRequire(import.meta.url);
  const api = require(`@octokit/openapi-webhooks/generated/${target}.json`) as OpenApiWebhooks;
  const names = new Map<string, string>();
  const taken = new Set<string>();
  for (const key of Object.keys(api.components.schemas).sort()) {
    let name = pascalCase(key);
    while (taken.has(name)) name += '_';
    taken.add(name);
    names.set(key, name);
  }
  const definitions: Record<string, Schema> = {};
  const prefix = '#/components/schemas/';
  for (const [key, schema] of Object.entries(api.components.schemas)) {
    const copy = structuredClone(schema);
    rewriteRefs(copy, (ref) => (ref.startsWith(prefix) ? `#/definitions/${names.get(ref.slice(prefix.length))}` : ref));
    definitions[names.get(key)!] = copy;
  }
  normalizeTitles(definitions);

  const events: SchemaBundle['events'] = {};
  const operations = Object.values(api.webhooks).sort((a, b) => a.post.operationId.localeCompare(b.post.operationId));
  for (const { post } of operations) {
    const ref = post.requestBody.content['application/json']?.schema.$ref;
    if (!ref?.startsWith(prefix)) continue;
    const type = names.get(ref.slice(prefix.length))!;
    const [event, operationAction] = post.operationId.split('/') as [string, string | undefined];
    const name = event.replaceAll('-', '_');
    const action = operationAction === undefined ? undefined : actionOf(definitions[type]!) ?? operationAction.replaceAll('-', '_');
    const description = (post.description ?? post.summary ?? '').split('\n')[0]!;
    if (action === undefined) {
      events[name] = { types: [type], description };
    } else {
      events[`${name}.${action}`] = { types: [type], description };
      const group = (events[name] ??= { types: [], description: `Any \`${name}\` event.` });
      group.types.push(type);
    }
  }
  return { definitions, events };
}

/** The action an operation's payload pins (`"action": { "enum": ["opened"] }`). */
function actionOf(schema: Schema): string | undefined {
  const action = (schema.properties as Record<string, Schema> | undefined)?.action;
  const values = (action?.enum ?? (action?.const !== undefined ? [action.const] : undefined)) as unknown[] | undefined;
  return values?.length === 1 && typeof values[0] === 'string' ? values[0] : undefined;
}
