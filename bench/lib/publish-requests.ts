/**
 * Request generator for the publish load, loaded inside the load-generator child (load-child.ts) by module path.
 * Every request is a realistic server.json (first version of one of a few hundred generated templates, so shapes
 * vary: packages, remotes, headers, env vars) rewritten to a name and remote URLs never used before:
 * `<namespace>/<slug>-<tag><process><counter>`, so no publish collides with the data set, another round or another
 * request.
 */
import type autocannon from 'autocannon';
import { generateServers, type ServerJson } from '../data/generate.js';
import { loadModel } from '../data/model.js';

export interface PublishParams {
  path: string;
  token?: string;
  /** Short [a-z0-9] tag identifying the run. */
  tag: string;
  templates?: number;
}

export function publishTemplates(count: number): ServerJson[] {
  return generateServers(count, loadModel(), { seedLabel: 'publish-templates' }).map((server) => server.versions[0]!);
}

/** A unique document: `unique` must be [a-z0-9-] and never repeat within a database. */
export function uniqueDocument(template: ServerJson, unique: string): ServerJson {
  const [namespace, slug] = template.name.split('/') as [string, string];
  return {
    ...template,
    name: `${namespace}/${slug}-${unique}`,
    ...(template.remotes
      ? {
          remotes: template.remotes.map((remote, index) => ({
            ...remote,
            url: remote.url.replace('https://', `https://${unique}-${index}.`),
          })),
        }
      : {}),
  };
}

export function publishRequests(params: PublishParams): autocannon.Request[] {
  const templates = publishTemplates(params.templates ?? 300);
  const prefix = `${params.tag}${process.pid.toString(36)}${Date.now().toString(36)}`;
  let counter = 0;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (params.token) headers.authorization = `Bearer ${params.token}`;
  return [
    {
      method: 'POST',
      path: params.path,
      headers,
      setupRequest: (req) => {
        const template = templates[counter % templates.length]!;
        const document = uniqueDocument(template, `${prefix}x${counter.toString(36)}`);
        counter++;
        return { ...req, body: JSON.stringify(document) };
      },
    },
  ];
}
