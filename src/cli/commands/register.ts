import { Command, Option } from 'commander';
import { keepInstanceRegistered } from '../../sdk/registration.js';
import type { RegistrationEvent } from '../../sdk/registration.js';

interface RegisterFlags {
  server: string;
  url: string;
  token?: string;
  registry?: string;
  transport?: 'streamable-http' | 'sse';
  region?: string;
  instanceVersion?: string;
  tag?: string[];
}

/** `wharf register`: registers a running instance and keeps it alive in the foreground until SIGINT/SIGTERM. */
export function registerCommand(): Command {
  return new Command('register')
    .description('Register a running MCP server instance with a Wharf registry and send heartbeats until stopped')
    .requiredOption('--server <name>', 'registry name of the server, e.g. com.example/weather')
    .requiredOption('--url <url>', 'where this instance answers MCP')
    .option('--token <token>', 'registry token or API key with publish permission (env WHARF_TOKEN)')
    .option('--registry <url>', 'Wharf base URL (env WHARF_REGISTRY_URL, default http://127.0.0.1:8080)')
    .addOption(new Option('--transport <type>', 'MCP transport of the instance').choices(['streamable-http', 'sse']))
    .option('--region <region>', 'metadata: region')
    .option('--instance-version <version>', 'metadata: version of the running build')
    .option('--tag <tag...>', 'metadata: tags')
    .action(async (flags: RegisterFlags) => {
      const token = flags.token ?? process.env.WHARF_TOKEN;
      if (!token) {
        process.stderr.write('wharf register: a token is required: pass --token or set WHARF_TOKEN\n');
        process.exit(2);
      }
      const registry = flags.registry ?? process.env.WHARF_REGISTRY_URL ?? 'http://127.0.0.1:8080';
      const metadata: { region?: string; version?: string; tags?: string[] } = {};
      if (flags.region) metadata.region = flags.region;
      if (flags.instanceVersion) metadata.version = flags.instanceVersion;
      if (flags.tag) metadata.tags = flags.tag;
      const registration = keepInstanceRegistered({
        registry,
        token,
        server: flags.server,
        url: flags.url,
        ...(flags.transport ? { transport: flags.transport } : {}),
        ...(Object.keys(metadata).length > 0 ? { metadata } : {}),
        onEvent: report,
      });
      const stop = (signal: string) => {
        process.stderr.write(`${signal}: deregistering\n`);
        void registration.stop().then(() => process.exit(0));
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
      try {
        await registration.done;
      } catch (error) {
        process.stderr.write(`wharf register: ${(error as Error).message}\n`);
        process.exit(1);
      }
    });
}

function report(event: RegistrationEvent): void {
  switch (event.type) {
    case 'registered':
      process.stdout.write(
        `registered instance ${event.id} (ttl ${event.ttlSeconds} s, heartbeat every ${event.heartbeatIntervalSeconds} s)\n`,
      );
      break;
    case 'retry':
      process.stderr.write(`${event.step} failed (${event.error}); retrying in ${event.delayMs} ms\n`);
      break;
    case 'expired':
      process.stderr.write(`instance ${event.id} expired on the registry; registering again\n`);
      break;
    case 'deregistered':
      process.stdout.write(`deregistered instance ${event.id}\n`);
      break;
    default:
      break;
  }
}
