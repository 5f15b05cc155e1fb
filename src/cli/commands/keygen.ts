import fs from 'node:fs';
import path from 'node:path';
import { Command, Option } from 'commander';
import { PROOF_ALGORITHMS, generateProofSigner, privateKeyPem, proofRecord } from '../../auth/login/proof.js';
import type { ProofAlgorithm } from '../../auth/login/proof.js';

export function keygenCommand(): Command {
  return new Command('keygen')
    .description('Create a key pair for DNS/HTTP domain login and print the record to publish')
    .addOption(new Option('--algorithm <algorithm>', 'key algorithm').choices([...PROOF_ALGORITHMS]).default('ed25519'))
    .option('--out <file>', 'private key file to write (PKCS#8 PEM, mode 0600)', 'mcp-registry-key.pem')
    .option('--domain <domain>', 'your domain, to print ready-to-use instructions', 'example.com')
    .option('--force', 'overwrite an existing key file')
    .option('--json', 'print {algorithm, privateKeyFile, record} as JSON')
    .action((flags: { algorithm: ProofAlgorithm; out: string; domain: string; force?: boolean; json?: boolean }) => {
      const signer = generateProofSigner(flags.algorithm);
      const file = path.resolve(flags.out);
      try {
        fs.writeFileSync(file, privateKeyPem(signer), { mode: 0o600, flag: flags.force ? 'w' : 'wx' });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
          throw new Error(`${file} already exists; pass --force to overwrite it or --out to choose another file`, {
            cause: error,
          });
        }
        throw error;
      }
      fs.chmodSync(file, 0o600);
      const record = proofRecord(signer);
      if (flags.json) {
        process.stdout.write(`${JSON.stringify({ algorithm: signer.algorithm, privateKeyFile: file, record })}\n`);
        return;
      }
      const d = flags.domain;
      process.stdout.write(
        [
          `Private key (${signer.algorithm}) written to ${file} with mode 0600. Keep it secret.`,
          '',
          `DNS login (grants the domain and its subdomains): publish this TXT record at the apex of ${d}`,
          `(not under a selector such as _mcp-auth.${d}):`,
          `  ${d}. IN TXT "${record}"`,
          '',
          `HTTP login (grants only ${d}): serve this body as text/plain at https://${d}/.well-known/mcp-registry-auth`,
          `  ${record}`,
          '',
          'Then log in with:',
          `  wharf login dns --domain ${d} --private-key-file ${file}`,
          `  wharf login http --domain ${d} --private-key-file ${file}`,
          '',
        ].join('\n'),
      );
    });
}
