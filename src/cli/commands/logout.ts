import { Command } from 'commander';
import { removeToken, tokenFilePath } from '../token-file.js';

export function logoutCommand(): Command {
  return new Command('logout')
    .description('Delete the stored registry token (registry tokens are stateless: this is client-side only)')
    .action(() => {
      const file = tokenFilePath();
      process.stdout.write(removeToken(file) ? `Logged out: removed ${file}\n` : `Not logged in (no ${file})\n`);
    });
}
