import { describe, expect, it } from 'vitest';
import { looksLikeVersionRange, validateSemantics } from '../../../src/registry/validation/index.js';
import type { ServerJSON } from '../../../src/registry/validation/index.js';
import { base, issuesOf, pkg } from './fixtures.js';
import type { Expected } from './fixtures.js';

describe('server name', () => {
  it.each<[string, string]>([
    ['', 'server name is required and must be a string'],
    ['weather', "server name must be in format 'dns-namespace/name' (e.g., 'com.example.api/server')"],
    ['io.github/a/b', 'server name cannot contain multiple slashes'],
    ['/weather', "server name must be in format 'dns-namespace/name' with non-empty namespace and name parts"],
    [
      '-io.github/weather',
      "server name format is invalid: namespace '-io.github' is invalid. Namespace must start and end with alphanumeric characters, and may contain dots and hyphens in the middle",
    ],
    [
      'a/weather',
      "server name format is invalid: namespace 'a' is invalid. Namespace must start and end with alphanumeric characters, and may contain dots and hyphens in the middle",
    ],
    [
      'io.github.example/weather_',
      "server name format is invalid: name 'weather_' is invalid. Name must start and end with alphanumeric characters, and may contain dots, underscores, and hyphens in the middle",
    ],
  ])('rejects %j', (name, message) => {
    expect(issuesOf({ ...base(), name })).toEqual([['name', 'invalid-server-name', message]]);
  });

  it.each(['io.github.example/weather', 'com.example/a.b_c-d', 'ab/cd', 'IO.GitHub.User/Server'])(
    'accepts %j',
    (name) => {
      expect(issuesOf({ ...base(), name })).toEqual([]);
    },
  );
});

describe('versions', () => {
  it.each([
    '^1.2.3',
    '~1.2.3',
    '>=1.0.0',
    '<= 2',
    '=1.0.0',
    '1.x',
    '1.2.*',
    'X.1',
    '1.2.3 - 2.0.0',
    '1.2 || 1.3',
    ' ^1 ',
  ])('rejects the range %j at top level and in packages', (version) => {
    const message = `version must be a specific version, not a range: "${version}"`;
    expect(issuesOf({ ...base(), version, packages: [pkg({ version })] })).toEqual([
      ['version', 'version-looks-like-range', message],
      ['packages[0].version', 'version-looks-like-range', message],
    ]);
  });

  it.each(['1.0.0', '2025-06-18', 'v1.0', '1.0.0-beta.1', '1.0.0+build.5', 'x', 'main'])('accepts %j', (version) => {
    expect(looksLikeVersionRange(version)).toBe(false);
    expect(issuesOf({ ...base(), version })).toEqual([]);
  });

  it('requires a non-blank top-level version of at most 255 characters (Wharf rule; upstream fails in its database)', () => {
    expect(issuesOf({ ...base(), version: ' ' })).toEqual([
      ['version', 'version-required', 'version is required and must not be blank'],
    ]);
    expect(issuesOf({ ...base(), version: '1'.repeat(256) })).toEqual([
      ['version', 'version-too-long', 'version must be at most 255 characters (got 256)'],
    ]);
    expect(issuesOf({ ...base(), packages: [pkg({ version: '' })] })).toEqual([]);
  });

  it('refuses registry-owned _meta keys, which a publisher could otherwise forge', () => {
    const meta = { 'io.modelcontextprotocol.registry/official': {}, 'dev.wharf/health': {}, 'com.example/ok': {} };
    expect(issuesOf({ ...base(), _meta: meta }).map((i) => i[1])).toEqual(['reserved-meta-key', 'reserved-meta-key']);
  });

  it('reproduces upstream quirks: a pre-release containing "x" counts as a wildcard', () => {
    expect(looksLikeVersionRange('1.0.0-linux')).toBe(true);
  });

  it('reserves "latest" (top level and package)', () => {
    const message = "version string 'latest' is reserved and cannot be used";
    expect(issuesOf({ ...base(), version: 'latest', packages: [pkg({ version: 'latest' })] })).toEqual([
      ['version', 'reserved-version-string', message],
      ['packages[0].version', 'reserved-version-string', message],
    ]);
  });
});

describe('repository', () => {
  it.each<[ServerJSON['repository'], Expected[]]>([
    [{}, []],
    [{ id: '123', subfolder: '/ignored-when-url-and-source-empty' }, []],
    [{ url: 'https://github.com/example/weather', source: 'github' }, []],
    [{ url: 'http://www.gitlab.com/ex/weather.git/', source: 'gitlab' }, []],
    [
      { url: 'https://gitlab.com/ex/weather', source: 'github' },
      [['repository.url', 'invalid-repository-url', 'invalid repository URL: https://gitlab.com/ex/weather']],
    ],
    [
      { url: 'https://bitbucket.org/ex/w', source: 'bitbucket' },
      [['repository.url', 'invalid-repository-url', 'invalid repository URL: https://bitbucket.org/ex/w']],
    ],
    [{ source: 'github' }, [['repository.url', 'invalid-repository-url', 'invalid repository URL: ']]],
    [
      { url: 'https://github.com/ex/weather/tree/main', source: 'github' },
      [['repository.url', 'invalid-repository-url', 'invalid repository URL: https://github.com/ex/weather/tree/main']],
    ],
  ])('%j', (repository, expected) => {
    expect(issuesOf({ ...base(), repository })).toEqual(expected);
  });

  it.each(['/abs', 'trailing/', 'a//b', 'a/./b', 'a/../b', '..', 'with space', 'ü'])(
    'rejects subfolder %j',
    (subfolder) => {
      const repository = { url: 'https://github.com/ex/weather', source: 'github', subfolder };
      expect(issuesOf({ ...base(), repository })).toEqual([
        ['repository.subfolder', 'invalid-subfolder-path', `invalid subfolder path: ${subfolder}`],
      ]);
    },
  );

  it.each(['src', 'packages/server-weather', 'a.b/c_d-e'])('accepts subfolder %j', (subfolder) => {
    expect(
      issuesOf({ ...base(), repository: { url: 'https://github.com/ex/w', source: 'github', subfolder } }),
    ).toEqual([]);
  });
});

describe('websiteUrl, title and icons', () => {
  it.each<[string, Expected[]]>([
    ['https://example.com/docs', []],
    [
      'example.com',
      [
        ['websiteUrl', 'website-url-must-be-absolute', 'websiteUrl must be absolute (include scheme): example.com'],
        ['websiteUrl', 'website-url-invalid-scheme', 'websiteUrl must use https scheme: example.com'],
      ],
    ],
    [
      'http://example.com',
      [['websiteUrl', 'website-url-invalid-scheme', 'websiteUrl must use https scheme: http://example.com']],
    ],
    ['::', [['websiteUrl', 'invalid-website-url', 'invalid websiteUrl: parse "::": missing protocol scheme']]],
    [
      'https://example.com/"onmouseover="alert(1)',
      [
        [
          'websiteUrl',
          'website-url-invalid-characters',
          'websiteUrl contains invalid characters: https://example.com/"onmouseover="alert(1)',
        ],
      ],
    ],
  ])('websiteUrl %j', (websiteUrl, expected) => {
    expect(issuesOf({ ...base(), websiteUrl })).toEqual(expected);
  });

  it.each(['   ', '\t\n', '\u00a0\u3000'])('rejects the whitespace-only title %j', (title) => {
    expect(issuesOf({ ...base(), title })).toEqual([
      ['title', 'title-whitespace-only', 'title cannot be only whitespace'],
    ]);
  });

  it('does not treat U+FEFF as space (Go does not)', () => {
    expect(issuesOf({ ...base(), title: '\ufeff' })).toEqual([]);
  });

  it.each<[string, Expected[]]>([
    ['https://example.com/icon.png', []],
    [
      'http://example.com/icon.png',
      [
        [
          'icons[0].src',
          'icon-src-invalid-scheme',
          'icon src must use https scheme (got http): http://example.com/icon.png',
        ],
      ],
    ],
    [
      'data:image/png;base64,AAAA',
      [
        [
          'icons[0].src',
          'icon-src-invalid-scheme',
          'icon src must use https scheme (got data): data:image/png;base64,AAAA',
        ],
      ],
    ],
    [
      '/icon.png',
      [
        ['icons[0].src', 'icon-src-not-absolute', 'icon src must be an absolute URL (include scheme): /icon.png'],
        ['icons[0].src', 'icon-src-invalid-scheme', 'icon src must use https scheme (got ): /icon.png'],
      ],
    ],
  ])('icon %j', (src, expected) => {
    expect(issuesOf({ ...base(), icons: [{ src }] })).toEqual(expected);
  });

  it('reports an unparsable icon URL (only reachable without the shape check)', () => {
    expect(validateSemantics({ ...base(), icons: [{ src: '%zz' }] })).toEqual([
      expect.objectContaining({
        path: 'icons[0].src',
        reference: 'icon-src-invalid-url',
        message: 'invalid icon src URL: parse "%zz": invalid URL escape "%zz"',
      }),
    ]);
  });
});

describe('rule order', () => {
  it('follows upstream: name, version, repository, websiteUrl, title, icons, packages, remotes', () => {
    const server: ServerJSON = {
      ...base(),
      name: 'bad',
      version: 'latest',
      repository: { url: 'x', source: 'svn' },
      websiteUrl: 'http://x.io',
      title: ' ',
      icons: [{ src: 'http://x.io/i.png' }],
      packages: [pkg({ identifier: 'a b' })],
      remotes: [{ type: 'stdio' }],
    };
    expect(issuesOf(server).map(([path]) => path)).toEqual([
      'name',
      'version',
      'repository.url',
      'websiteUrl',
      'title',
      'icons[0].src',
      'packages[0].identifier',
      'remotes[0].type',
    ]);
  });
});
