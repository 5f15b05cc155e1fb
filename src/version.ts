import fs from 'node:fs';

const pkg = JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

/** What `/v0/version` reports; commit and build time come from the environment of a release build. */
export const buildInfo = {
  version: `v${pkg.version}`,
  gitCommit: process.env.WHARF_GIT_COMMIT ?? 'unknown',
  buildTime: process.env.WHARF_BUILD_TIME ?? 'unknown',
};
