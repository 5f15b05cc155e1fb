import fs from 'node:fs';
import type { Command } from 'commander';
import type { Context, ContextPage, ContextPayload } from '../../sdk/index.js';
import { out, paint, printJson, table } from '../output.js';
import { CliError, EXIT, cliCommand, connect, run, withJson, withRegistryFlags } from '../remote.js';
import type { RegistryFlags } from '../remote.js';

/**
 * `wharf contexts`: the context store (/api/v1/contexts, docs/contexts.md) from the command line. Documents come
 * from a file or stdin as JSON; every write prints the new version and ETag, which `--if-match` takes back.
 */

interface WriteFlags extends RegistryFlags {
  ttl?: string;
  ifMatch?: string;
  expectedVersion?: string;
}

interface CreateFlags extends WriteFlags {
  id?: string;
  namespace?: string;
}

interface ListFlags extends RegistryFlags {
  namespace?: string;
  metadata?: string[];
  limit?: string;
}

export function contextsCommand(): Command {
  return cliCommand('contexts')
    .summary('Create, read, update, list and delete shared JSON contexts')
    .description(
      'The context store: JSON documents with metadata and a time-to-live, kept in namespaces ' +
        '(needs a token with context_reader / context_writer permission on the namespace)',
    )
    .addCommand(listContexts())
    .addCommand(getContext())
    .addCommand(createContext())
    .addCommand(putContext())
    .addCommand(patchContext())
    .addCommand(deleteContext());
}

function listContexts(): Command {
  return withJson(
    withRegistryFlags(
      cliCommand('list')
        .summary('List the live contexts of a namespace')
        .description('List the live contexts of a namespace in id order (every page), as a table or --json (an array)')
        .option('--namespace <namespace>', 'the namespace to list (default "default")')
        .option(
          '--metadata <key=value>',
          'only contexts whose metadata KEY has this string value (repeatable)',
          (value: string, previous: string[] = []) => [...previous, value],
        )
        .option('--limit <n>', 'stop after n contexts'),
    ),
  ).action(
    run(async (flags: ListFlags) => {
      const limit = flags.limit === undefined ? Infinity : wholeNumber(flags.limit, '--limit', 1);
      const extra: Record<string, string> = {};
      for (const pair of flags.metadata ?? []) {
        const at = pair.indexOf('=');
        if (at < 1) throw new CliError(`--metadata takes KEY=VALUE, got "${pair}"`, EXIT.usage);
        extra[`metadata.${pair.slice(0, at)}`] = pair.slice(at + 1);
      }
      const { client } = connect(flags, { requireToken: true });
      const contexts: Context[] = [];
      let cursor: string | undefined;
      do {
        const page = await client.listContexts({
          namespace: flags.namespace,
          cursor,
          limit: Math.min(500, limit - contexts.length),
          extra,
        });
        contexts.push(...page.contexts);
        cursor = nextCursor(page.metadata);
      } while (cursor !== undefined && contexts.length < limit);
      if (flags.json) return printJson(contexts);
      if (contexts.length === 0) return out('No contexts found.');
      out(
        table(
          ['ID', 'NAMESPACE', 'VERSION', 'UPDATED', 'EXPIRES'],
          contexts.map((c) => [
            c.context_id,
            String(c.namespace ?? ''),
            String(c.version ?? ''),
            c.last_updated,
            c.expires_at ?? 'never',
          ]),
        ),
      );
    }),
  );
}

function getContext(): Command {
  return withJson(
    withRegistryFlags(
      cliCommand('get')
        .summary('Show a context')
        .description(
          'Show a context: its version, times and payload (--json: the context resource as the API returns it)',
        )
        .argument('<id>', 'the context id'),
    ),
  ).action(
    run(async (id: string, flags: RegistryFlags) => {
      const { client } = connect(flags, { requireToken: true });
      const { context } = await client.getContext(id);
      if (flags.json) return printJson(context);
      printContext(context);
    }),
  );
}

function createContext(): Command {
  return withWriteFlags(
    cliCommand('create')
      .summary('Create a context from a JSON file or stdin')
      .description(
        'Create a context. The document is JSON {"data": {...}, "metadata": {...}} (metadata optional), read from ' +
          'FILE, or from stdin when FILE is - or omitted',
      )
      .argument('[file]', 'the document; - or omitted: stdin')
      .option('--id <id>', 'choose the context id (default: a generated UUID; 409 when taken)')
      .option('--namespace <namespace>', 'the namespace (default "default")'),
    false,
  ).action(
    run(async (file: string | undefined, flags: CreateFlags) => {
      const payload = readPayload(file);
      const ttlSeconds = ttlOf(flags);
      const { client } = connect(flags, { requireToken: true });
      const { context } = await client.createContext(payload, {
        ...(flags.id !== undefined && { id: flags.id }),
        ...(flags.namespace !== undefined && { namespace: flags.namespace }),
        ...(ttlSeconds !== undefined && { ttlSeconds }),
      });
      report('Created', context, flags);
    }),
  );
}

function putContext(): Command {
  return withWriteFlags(
    cliCommand('put')
      .summary('Replace a context from a JSON file or stdin')
      .description(
        'Replace the data and metadata of a context and restart its TTL. The document is JSON {"data": {...}, ' +
          '"metadata": {...}}, read from FILE, or from stdin when FILE is - or omitted',
      )
      .argument('<id>', 'the context id')
      .argument('[file]', 'the document; - or omitted: stdin'),
  ).action(
    run(async (id: string, file: string | undefined, flags: WriteFlags) => {
      const payload = readPayload(file);
      const params = writeParams(flags);
      const { client } = connect(flags, { requireToken: true });
      const { context } = await client.putContext(id, payload, params);
      report('Replaced', context, flags);
    }),
  );
}

function patchContext(): Command {
  return withWriteFlags(
    cliCommand('patch')
      .summary('Change a context with a JSON Merge Patch')
      .description(
        'Apply a JSON Merge Patch (RFC 7396) to a context and restart its TTL: {"data": {"step": 3, "draft": null}} ' +
          'sets step and removes draft. Read from FILE, or from stdin when FILE is - or omitted',
      )
      .argument('<id>', 'the context id')
      .argument('[file]', 'the merge patch; - or omitted: stdin'),
  ).action(
    run(async (id: string, file: string | undefined, flags: WriteFlags) => {
      const patch = readJsonObject(file, 'the merge patch', '{"data": {"step": 3}}');
      const params = writeParams(flags);
      const { client } = connect(flags, { requireToken: true });
      const { context } = await client.patchContext(id, patch, params);
      report('Patched', context, flags);
    }),
  );
}

function deleteContext(): Command {
  return withJson(
    withRegistryFlags(
      withPrecondition(
        cliCommand('delete')
          .summary('Delete a context')
          .description('Delete a context (--json: {"deleted": true, "context_id": ...})')
          .argument('<id>', 'the context id'),
      ),
    ),
  ).action(
    run(async (id: string, flags: WriteFlags) => {
      const ifMatch = ifMatchOf(flags);
      const { client } = connect(flags, { requireToken: true });
      await client.deleteContext(id, ifMatch === undefined ? {} : { ifMatch });
      if (flags.json) return printJson({ deleted: true, context_id: id });
      out(paint().green(`✓ Deleted context ${id}`));
    }),
  );
}

// ---- flags ----

function withPrecondition(command: Command): Command {
  return command
    .option('--if-match <etag>', 'only if the context is still at this ETag ("3", or * for any version); 412 otherwise')
    .option('--expected-version <n>', 'only if the context is still at version n (the same as --if-match \'"n"\')');
}

function withWriteFlags(command: Command, precondition = true): Command {
  const flagged = command.option(
    '--ttl <seconds>',
    'seconds to live from this write; 0 = never expires (default: the server default, 3600)',
  );
  return withJson(withRegistryFlags(precondition ? withPrecondition(flagged) : flagged));
}

function ttlOf(flags: WriteFlags): number | undefined {
  return flags.ttl === undefined ? undefined : wholeNumber(flags.ttl, '--ttl', 0);
}

function ifMatchOf(flags: WriteFlags): string | undefined {
  if (flags.ifMatch !== undefined && flags.expectedVersion !== undefined) {
    throw new CliError('give either --if-match or --expected-version, not both', EXIT.usage);
  }
  if (flags.expectedVersion !== undefined) return `"${wholeNumber(flags.expectedVersion, '--expected-version', 1)}"`;
  if (flags.ifMatch === undefined) return undefined;
  const value = flags.ifMatch.trim();
  // Shells eat the quotes of '"3"' easily; a bare version means the same ETag.
  return /^\d+$/.test(value) ? `"${value}"` : value;
}

function writeParams(flags: WriteFlags): { ttlSeconds?: number; ifMatch?: string } {
  const ttlSeconds = ttlOf(flags);
  const ifMatch = ifMatchOf(flags);
  return {
    ...(ttlSeconds !== undefined && { ttlSeconds }),
    ...(ifMatch !== undefined && { ifMatch }),
  };
}

function wholeNumber(raw: string, flag: string, min: number): number {
  const value = /^\d+$/.test(raw.trim()) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(value) || value < min) {
    throw new CliError(
      `${flag} must be a whole number${min > 0 ? ` from ${min}` : ' (0 or more)'}, got "${raw}"`,
      EXIT.usage,
    );
  }
  return value;
}

// ---- documents ----

function readPayload(file: string | undefined): ContextPayload {
  const document = readJsonObject(file, 'the document', '{"data": {"turns": []}, "metadata": {"kind": "chat"}}');
  const unknown = Object.keys(document).filter((key) => key !== 'data' && key !== 'metadata');
  if (!('data' in document) || unknown.length > 0) {
    const problem = unknown.length > 0 ? `has ${unknown.map((k) => `"${k}"`).join(', ')}` : 'has no "data"';
    throw new CliError(
      `${sourceName(file)} ${problem}: a context document is {"data": {...}, "metadata": {...}} (metadata optional)`,
      EXIT.failure,
    );
  }
  return document as unknown as ContextPayload;
}

function readJsonObject(file: string | undefined, what: string, example: string): Record<string, unknown> {
  const source = sourceName(file);
  let text: string;
  if (file === undefined || file === '-') {
    if (process.stdin.isTTY) {
      throw new CliError(
        `give ${what} as a FILE argument, or pipe it on stdin (e.g. echo '${example}' | wharf …)`,
        EXIT.usage,
      );
    }
    text = fs.readFileSync(0, 'utf8');
  } else {
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new CliError(
        code === 'ENOENT'
          ? `${file} not found. Please check the file path.`
          : `failed to read ${file}: ${(error as Error).message}`,
        EXIT.failure,
      );
    }
  }
  if (text.trim() === '') throw new CliError(`${source} is empty: expected ${what}, e.g. ${example}`, EXIT.failure);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new CliError(`${source} is not valid JSON: ${(error as Error).message}`, EXIT.failure);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new CliError(`${source} must hold a JSON object, e.g. ${example}`, EXIT.failure);
  }
  return parsed as Record<string, unknown>;
}

function sourceName(file: string | undefined): string {
  return file === undefined || file === '-' ? 'stdin' : file;
}

// ---- output ----

function report(verb: string, context: Context, flags: RegistryFlags): void {
  if (flags.json) return printJson(context);
  const p = paint();
  const expires = context.expires_at === null ? 'never expires' : `expires ${context.expires_at}`;
  out(
    p.green(
      `✓ ${verb} context ${context.context_id} in namespace ${String(context.namespace ?? 'default')}: ` +
        `version ${context.version ?? '?'} (ETag "${context.version ?? '?'}"), ${expires}`,
    ),
  );
}

function printContext(context: Context): void {
  const p = paint();
  const field = (label: string, value: string) => out(`${p.dim(label.padEnd(12))}${value}`);
  out(p.bold(context.context_id));
  field('namespace', String(context.namespace ?? 'default'));
  field('version', `${context.version ?? '?'} (ETag "${context.version ?? '?'}")`);
  field('created', context.created_at);
  field('updated', context.last_updated);
  field('expires', context.expires_at ?? 'never');
  out(p.dim('metadata'));
  out(indent(JSON.stringify(context.payload.metadata ?? {}, null, 2)));
  out(p.dim('data'));
  out(indent(JSON.stringify(context.payload.data, null, 2)));
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}

function nextCursor(metadata: ContextPage['metadata']): string | undefined {
  const cursor = metadata?.next_cursor;
  return cursor === undefined || cursor === '' ? undefined : cursor;
}
