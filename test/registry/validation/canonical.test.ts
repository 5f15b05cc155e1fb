import { describe, expect, it } from 'vitest';
import {
  CURRENT_SCHEMA_URL,
  canonicalJson,
  checkRequestShape,
  goJsonString,
} from '../../../src/registry/validation/index.js';
import type { ServerJSON } from '../../../src/registry/validation/index.js';

const minimal: ServerJSON = { $schema: CURRENT_SCHEMA_URL, name: 'io.github.a/b', description: 'd', version: '1' };
const head = `{"$schema":"${CURRENT_SCHEMA_URL}","name":"io.github.a/b","description":"d"`;

describe('canonicalJson (Go encoding/json over the official structs)', () => {
  it('emits keys in struct order whatever order they arrived in', () => {
    const shaped = checkRequestShape({
      _meta: { 'io.modelcontextprotocol.registry/publisher-provided': { k: 1 } },
      remotes: [{ url: 'https://x.io/mcp', type: 'sse' }],
      packages: [
        { transport: { type: 'stdio' }, identifier: 'p', version: '2', registryType: 'npm', runtimeHint: 'npx' },
      ],
      icons: [{ theme: 'dark', src: 'https://x.io/i.png' }],
      websiteUrl: 'https://x.io',
      version: '1',
      repository: { subfolder: 's', id: 'i', source: 'github', url: 'https://github.com/a/b' },
      title: 'T',
      description: 'd',
      name: 'io.github.a/b',
      $schema: CURRENT_SCHEMA_URL,
    });
    if (!shaped.ok) throw new Error('shape');
    expect(canonicalJson(shaped.value)).toBe(
      `${head},"title":"T","repository":{"url":"https://github.com/a/b","source":"github","id":"i","subfolder":"s"},` +
        `"version":"1","websiteUrl":"https://x.io","icons":[{"src":"https://x.io/i.png","theme":"dark"}],` +
        `"packages":[{"registryType":"npm","identifier":"p","version":"2","runtimeHint":"npx","transport":{"type":"stdio"}}],` +
        `"remotes":[{"type":"sse","url":"https://x.io/mcp"}],` +
        `"_meta":{"io.modelcontextprotocol.registry/publisher-provided":{"k":1}}}`,
    );
  });

  it('orders Input, KeyValueInput and Argument fields like the embedded Go structs', () => {
    const server: ServerJSON = {
      ...minimal,
      packages: [
        {
          registryType: 'npm',
          identifier: 'p',
          transport: { type: 'stdio' },
          runtimeArguments: [
            {
              isRepeated: true,
              valueHint: 'h',
              name: 'n',
              type: 'named',
              variables: { v: { default: 'x' } },
              choices: ['a'],
              placeholder: 'p',
              default: 'd',
              isSecret: true,
              value: 'v',
              format: 'string',
              isRequired: true,
              description: 'desc',
            },
          ],
          environmentVariables: [{ name: 'E', variables: { z: {} }, description: 'e' }],
        },
      ],
    };
    expect(canonicalJson(server)).toContain(
      '"runtimeArguments":[{"description":"desc","isRequired":true,"format":"string","value":"v","isSecret":true,' +
        '"default":"d","placeholder":"p","choices":["a"],"variables":{"v":{"default":"x"}},"type":"named","name":"n",' +
        '"valueHint":"h","isRepeated":true}],"environmentVariables":[{"description":"e","variables":{"z":{}},"name":"E"}]',
    );
  });

  it('keeps explicit empty values (unlike omitempty) so a document reads back as published', () => {
    const server: ServerJSON = {
      ...minimal,
      description: '',
      version: '',
      title: '',
      websiteUrl: '',
      icons: [],
      remotes: [],
      packages: [
        {
          registryType: 'npm',
          identifier: 'p',
          version: '',
          transport: { type: '', url: '', headers: [], variables: {} },
          environmentVariables: [{ name: '', isRequired: false, isSecret: false, choices: [], variables: {} }],
          runtimeArguments: [{ type: '', name: '', isRepeated: false }],
        },
      ],
    };
    expect(JSON.parse(canonicalJson(server))).toEqual(server);
    expect(canonicalJson(server)).toBe(
      `{"$schema":"${CURRENT_SCHEMA_URL}","name":"io.github.a/b","description":"","title":"","version":"",` +
        `"websiteUrl":"","icons":[],` +
        `"packages":[{"registryType":"npm","identifier":"p","version":"","transport":{"type":"","url":"","headers":[],"variables":{}},` +
        `"runtimeArguments":[{"type":"","name":"","isRepeated":false}],` +
        `"environmentVariables":[{"isRequired":false,"isSecret":false,"choices":[],"variables":{},"name":""}]}],"remotes":[]}`,
    );
  });

  it('keeps pointer structs even when empty: repository {} and _meta {}', () => {
    expect(canonicalJson({ ...minimal, repository: {} })).toBe(`${head},"repository":{},"version":"1"}`);
    expect(canonicalJson({ ...minimal, _meta: {} })).toBe(`${head},"version":"1","_meta":{}}`);
    const emptyPublisher = { 'io.modelcontextprotocol.registry/publisher-provided': {} };
    expect(canonicalJson({ ...minimal, _meta: emptyPublisher })).toBe(
      `${head},"version":"1","_meta":{"io.modelcontextprotocol.registry/publisher-provided":{}}}`,
    );
  });

  it('sorts map keys by UTF-8 bytes, recursively inside publisher-provided metadata', () => {
    const server: ServerJSON = {
      ...minimal,
      remotes: [{ type: 'sse', url: 'https://x.io', variables: { b: {}, a: {}, B: {} } }],
      _meta: {
        'io.modelcontextprotocol.registry/publisher-provided': {
          zeta: [{ y: 1, x: null }],
          alpha: { '\u{1F600}': 1, '\uff61': 2, b: true },
        },
      },
    };
    const json = canonicalJson(server);
    expect(json).toContain('"variables":{"B":{},"a":{},"b":{}}');
    expect(json).toContain('{"alpha":{"b":true,"\uff61":2,"\u{1F600}":1},"zeta":[{"x":null,"y":1}]}');
  });

  it('formats numbers in free-form metadata like Go float64', () => {
    // Decoded from JSON text, as a request body would be; both Go and JS hold these as float64.
    const meta = JSON.parse('{"n":[100,1.5,1e21,1.5e-7,0.000001,-0,12345678901234567890]}') as Record<string, unknown>;
    const json = canonicalJson({ ...minimal, _meta: { 'io.modelcontextprotocol.registry/publisher-provided': meta } });
    expect(json).toContain('{"n":[100,1.5,1e+21,1.5e-7,0.000001,-0,12345678901234567000]}');
  });

  it('escapes like encoding/json: HTML characters, U+2028/U+2029, control characters', () => {
    expect(goJsonString('<b>&"\\</b>')).toBe('"\\u003cb\\u003e\\u0026\\"\\\\\\u003c/b\\u003e"');
    expect(goJsonString('a\u2028b\u2029c')).toBe('"a\\u2028b\\u2029c"');
    expect(goJsonString('\n\r\t\b\f\u0001\u001f\u007f')).toBe('"\\n\\r\\t\\b\\f\\u0001\\u001f\u007f"');
    expect(goJsonString('é😀/')).toBe('"é😀/"');
    expect(goJsonString('bad\ud800surrogate')).toBe('"bad\ufffdsurrogate"');
    expect(canonicalJson({ ...minimal, description: 'Tools <for> you & me' })).toContain(
      '"description":"Tools \\u003cfor\\u003e you \\u0026 me"',
    );
  });

  it('round-trips: the canonical form of the canonical form is unchanged', () => {
    const server: ServerJSON = {
      ...minimal,
      title: 'A & B',
      repository: { url: 'https://github.com/a/b', source: 'github' },
    };
    const once = canonicalJson(server);
    expect(canonicalJson(JSON.parse(once) as ServerJSON)).toBe(once);
  });
});
