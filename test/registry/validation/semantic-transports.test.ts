import { describe, expect, it } from 'vitest';
import type { Argument, Package, Transport } from '../../../src/registry/validation/index.js';
import { base, issuesOf, pkg } from './fixtures.js';
import type { Expected } from './fixtures.js';

describe('packages', () => {
  it('rejects spaces in the identifier', () => {
    expect(issuesOf({ ...base(), packages: [pkg({ identifier: 'weather mcp' })] })).toEqual([
      ['packages[0].identifier', 'package-name-has-spaces', 'package name cannot contain spaces'],
    ]);
  });

  it.each<[Argument, Expected[]]>([
    [{ type: 'named', name: '--port' }, []],
    [{ type: 'named', name: '--port', value: '8080', default: '80' }, []],
    [{ type: 'positional', name: 'has space', value: 'x' }, []],
    [
      { type: 'named' },
      [['packages[0].runtimeArguments[0].name', 'named-argument-name-required', 'named argument name is required']],
    ],
    [
      { type: 'named', name: '--port <port>' },
      [
        [
          'packages[0].runtimeArguments[0].name',
          'invalid-named-argument-name',
          'invalid named argument name format: --port <port>',
        ],
      ],
    ],
    [
      { type: 'named', name: '$HOME' },
      [
        [
          'packages[0].runtimeArguments[0].name',
          'invalid-named-argument-name',
          'invalid named argument name format: $HOME',
        ],
      ],
    ],
    [
      { type: 'named', name: '--port', value: '--port=8080', default: '--port 80' },
      [
        [
          'packages[0].runtimeArguments[0].value',
          'argument-value-starts-with-name',
          "argument value cannot start with the argument name: value starts with argument name '--port': --port=8080",
        ],
        [
          'packages[0].runtimeArguments[0].default',
          'argument-default-starts-with-name',
          "argument default cannot start with the argument name: default starts with argument name '--port': --port 80",
        ],
      ],
    ],
    [
      { type: 'named', value: 'x' },
      [
        ['packages[0].runtimeArguments[0].name', 'named-argument-name-required', 'named argument name is required'],
        [
          'packages[0].runtimeArguments[0].value',
          'argument-value-starts-with-name',
          "argument value cannot start with the argument name: value starts with argument name '': x",
        ],
      ],
    ],
  ])('runtime argument %j', (arg, expected) => {
    expect(issuesOf({ ...base(), packages: [pkg({ runtimeArguments: [arg] })] })).toEqual(expected);
  });

  it('checks package arguments too', () => {
    expect(issuesOf({ ...base(), packages: [pkg({ packageArguments: [{ type: 'named', name: 'a b' }] })] })).toEqual([
      [
        'packages[0].packageArguments[0].name',
        'invalid-named-argument-name',
        'invalid named argument name format: a b',
      ],
    ]);
  });

  const withTransport = (transport: Transport, extra: Partial<Package> = {}) => ({
    ...base(),
    packages: [pkg({ transport, ...extra })],
  });

  it.each<[Transport, Partial<Package>, Expected[]]>([
    [{ type: 'stdio' }, {}, []],
    [
      { type: 'stdio', url: 'http://localhost' },
      {},
      [
        [
          'packages[0].transport.url',
          'stdio-transport-url-not-empty',
          'url must be empty for stdio transport type, got: http://localhost',
        ],
      ],
    ],
    [
      { type: 'streamable-http' },
      {},
      [
        [
          'packages[0].transport.url',
          'streamable-transport-url-required',
          'url is required for streamable-http transport type',
        ],
      ],
    ],
    [{ type: 'sse', url: 'http://localhost:8080/sse' }, {}, []],
    [
      { type: 'sse', url: 'ftp://example.com' },
      {},
      [['packages[0].transport.url', 'invalid-templated-url', 'invalid package transport URL: ftp://example.com']],
    ],
    [
      { type: 'streamable-http', url: 'http://localhost:{PORT}/mcp' },
      {
        environmentVariables: [{ name: 'API_KEY' }],
        runtimeArguments: [{ type: 'positional', valueHint: 'file_path' }],
      },
      [
        [
          'packages[0].transport.url',
          'invalid-templated-url',
          'invalid package transport URL: template variables in URL http://localhost:{PORT}/mcp reference undefined variables. Available variables: [API_KEY file_path]',
        ],
      ],
    ],
    [{ type: 'streamable-http', url: 'http://localhost:{PORT}/mcp' }, { environmentVariables: [{ name: 'PORT' }] }, []],
    [
      { type: 'streamable-http', url: 'http://{host}:{port}/{path}' },
      {
        packageArguments: [
          { type: 'named', name: 'host', valueHint: 'port' },
          { type: 'positional', valueHint: 'path' },
        ],
      },
      [],
    ],
    [
      { type: 'websocket', url: 'ws://x' },
      {},
      [['packages[0].transport.type', 'unsupported-transport-type', 'unsupported transport type: websocket']],
    ],
  ])('transport %j', (transport, extra, expected) => {
    expect(issuesOf(withTransport(transport, extra))).toEqual(expected);
  });
});

describe('remotes', () => {
  it.each<[Transport, Expected[]]>([
    [{ type: 'streamable-http', url: 'https://api.example.com/mcp' }, []],
    [{ type: 'sse', url: 'https://{tenant}.example.com/sse', variables: { tenant: { isRequired: true } } }, []],
    [{ type: 'sse', url: 'https://example.com:{port}/sse', variables: { port: {} } }, []],
    [
      { type: 'stdio' },
      [
        [
          'remotes[0].type',
          'unsupported-remote-transport-type',
          'unsupported transport type for remotes: stdio (only streamable-http and sse are supported)',
        ],
      ],
    ],
    [
      { type: 'sse' },
      [
        ['remotes[0].url', 'remote-transport-url-required', 'url is required for sse transport type'],
        ['remotes[0].url', 'invalid-templated-url', 'invalid remote URL: '],
      ],
    ],
    [
      { type: 'sse', url: 'http://api.example.com/sse' },
      [['remotes[0].url', 'invalid-remote-url', 'invalid remote URL: http://api.example.com/sse']],
    ],
    [
      { type: 'sse', url: 'https://localhost/sse' },
      [['remotes[0].url', 'invalid-remote-url', 'invalid remote URL: https://localhost/sse']],
    ],
    [
      { type: 'sse', url: 'https://127.0.0.1:8443/sse' },
      [['remotes[0].url', 'invalid-remote-url', 'invalid remote URL: https://127.0.0.1:8443/sse']],
    ],
    [
      { type: 'sse', url: 'https://mcp.localhost/sse' },
      [['remotes[0].url', 'invalid-remote-url', 'invalid remote URL: https://mcp.localhost/sse']],
    ],
    [
      { type: 'streamable-http', url: 'ftp://example.com' },
      [
        ['remotes[0].url', 'invalid-remote-url', 'invalid remote URL: ftp://example.com'],
        ['remotes[0].url', 'invalid-templated-url', 'invalid remote URL: ftp://example.com'],
      ],
    ],
    [
      { type: 'streamable-http', url: 'https://{tenant}.example.com/mcp', variables: { zone: {}, region: {} } },
      [
        [
          'remotes[0].url',
          'invalid-templated-url',
          'invalid remote URL: template variables in URL https://{tenant}.example.com/mcp reference undefined variables. Available variables: [region zone]',
        ],
      ],
    ],
  ])('%j', (remote, expected) => {
    expect(issuesOf({ ...base(), remotes: [remote] })).toEqual(expected);
  });
});
