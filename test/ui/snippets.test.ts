import { describe, expect, it } from 'vitest';
import { configKey, installTargets, snippetFor } from '../../ui/src/snippets.js';
import type { ServerJson } from '../../ui/src/types.js';

const remoteServer: ServerJson = {
  name: 'com.example/weather',
  version: '1.2.0',
  remotes: [
    {
      type: 'streamable-http',
      url: 'https://{region}.weather.example.com/mcp',
      variables: { region: { description: 'Region', default: 'eu' } },
      headers: [{ name: 'X-API-Key', isRequired: true, isSecret: true }],
    },
    { type: 'sse', url: 'https://weather.example.com/sse' },
  ],
};

const dockerServer: ServerJson = {
  name: 'io.github.example/database-manager',
  version: '3.1.0',
  packages: [
    {
      registryType: 'oci',
      identifier: 'docker.io/example/database-manager-mcp:3.1.0',
      transport: { type: 'stdio' },
      runtimeArguments: [
        { type: 'named', name: '--network', value: 'host' },
        {
          type: 'named',
          name: '-e',
          value: 'DB_TYPE={db_type}',
          variables: { db_type: { isRequired: true, choices: ['postgres', 'mysql'] } },
        },
      ],
      packageArguments: [
        { type: 'named', name: '--host', default: 'localhost', isRequired: true },
        { type: 'positional', valueHint: 'database_name', isRequired: true },
      ],
      environmentVariables: [
        { name: 'DB_PASSWORD', isRequired: true, isSecret: true },
        { name: 'SSL_MODE', default: 'prefer' },
      ],
    },
  ],
};

describe('install snippets', () => {
  it('fills URL variables from defaults and marks missing secrets as placeholders', () => {
    const [http] = installTargets(remoteServer);
    const connection = http!.connect({});
    expect(connection).toEqual({
      kind: 'http',
      transport: 'http',
      url: 'https://eu.weather.example.com/mcp',
      headers: { 'X-API-Key': '<X-API-Key>' },
    });
    const vscode = JSON.parse(snippetFor('vscode', remoteServer.name, connection).text);
    expect(vscode).toEqual({
      servers: {
        weather: { type: 'http', url: 'https://eu.weather.example.com/mcp', headers: { 'X-API-Key': '<X-API-Key>' } },
      },
    });
  });

  it('uses what the user typed for variables and headers in every client format', () => {
    const [http] = installTargets(remoteServer);
    const connection = http!.connect({ 'remote0.region': 'us', 'remote0.header.X-API-Key': 's3cret' });
    const url = 'https://us.weather.example.com/mcp';
    expect(JSON.parse(snippetFor('cursor', 'com.example/weather', connection).text)).toEqual({
      mcpServers: { weather: { url, headers: { 'X-API-Key': 's3cret' } } },
    });
    expect(JSON.parse(snippetFor('claude-desktop', 'com.example/weather', connection).text)).toEqual({
      mcpServers: { weather: { command: 'npx', args: ['-y', 'mcp-remote', url, '--header', 'X-API-Key: s3cret'] } },
    });
    expect(snippetFor('claude-code', 'com.example/weather', connection).text).toBe(
      `claude mcp add --transport http weather ${url} --header 'X-API-Key: s3cret'`,
    );
    expect(JSON.parse(snippetFor('mcp-json', 'com.example/weather', connection).text)).toEqual({
      mcpServers: { weather: { type: 'http', url, headers: { 'X-API-Key': 's3cret' } } },
    });
  });

  it('keeps the sse transport for sse remotes', () => {
    const sse = installTargets(remoteServer)[1]!.connect({});
    expect(snippetFor('claude-code', 'com.example/weather', sse).text).toBe(
      'claude mcp add --transport sse weather https://weather.example.com/sse',
    );
  });

  it('builds a docker command with runtime arguments, package arguments and environment', () => {
    const [oci] = installTargets(dockerServer);
    const variableInput = oci!.inputs.find((i) => i.label === 'db_type');
    expect(variableInput?.choices).toEqual(['postgres', 'mysql']);
    const connection = oci!.connect({
      [variableInput!.key]: 'postgres',
      'package0.package.arg1': 'orders',
      'package0.env.DB_PASSWORD': 'pw',
    });
    expect(connection).toEqual({
      kind: 'stdio',
      command: 'docker',
      args: [
        'run',
        '-i',
        '--rm',
        '-e',
        'DB_PASSWORD',
        '-e',
        'SSL_MODE',
        '--network',
        'host',
        '-e',
        'DB_TYPE=postgres',
        'docker.io/example/database-manager-mcp:3.1.0',
        '--host',
        'localhost',
        'orders',
      ],
      env: { DB_PASSWORD: 'pw', SSL_MODE: 'prefer' },
    });
    expect(snippetFor('claude-code', dockerServer.name, connection).text).toBe(
      'claude mcp add database-manager --env DB_PASSWORD=pw --env SSL_MODE=prefer -- docker run -i --rm -e DB_PASSWORD -e SSL_MODE --network host -e DB_TYPE=postgres docker.io/example/database-manager-mcp:3.1.0 --host localhost orders',
    );
  });

  it('runs npm and pypi packages with their version pinned', () => {
    const npm = installTargets({
      name: 'io.github.a/b',
      version: '1.0.0',
      packages: [{ registryType: 'npm', identifier: '@a/b', version: '1.0.0', transport: { type: 'stdio' } }],
    })[0]!.connect({});
    expect(npm).toEqual({ kind: 'stdio', command: 'npx', args: ['-y', '@a/b@1.0.0'], env: {} });
    const pypi = installTargets({
      name: 'io.github.a/c',
      version: '2.0.0',
      packages: [{ registryType: 'pypi', identifier: 'c-mcp', version: '2.0.0', transport: { type: 'stdio' } }],
    })[0]!.connect({});
    expect(pypi).toEqual({ kind: 'stdio', command: 'uvx', args: ['c-mcp==2.0.0'], env: {} });
    expect(JSON.parse(snippetFor('vscode', 'io.github.a/c', pypi).text)).toEqual({
      servers: { c: { type: 'stdio', command: 'uvx', args: ['c-mcp==2.0.0'] } },
    });
  });

  it('derives a config key clients accept from any name', () => {
    expect(configKey('io.github.acme/My Server!')).toBe('My-Server');
    expect(configKey('com.example/weather')).toBe('weather');
  });
});
