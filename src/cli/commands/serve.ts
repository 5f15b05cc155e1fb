import { Command } from 'commander';
import { withConfigFlags } from '../config-flags.js';

export function serveCommand(): Command {
  return withConfigFlags(
    new Command('serve')
      .description('Serve the registry API, gateway and UI on one port')
      .option('--host <host>', 'listen address (env WHARF_HOST, default 127.0.0.1)')
      .option('--port <port>', 'listen port (env WHARF_PORT, default 8080)')
      .option('--anonymous-auth', 'enable POST /v0(.1)/auth/none (env WHARF_AUTH_ANONYMOUS)'),
  ).action(async (flags) => {
    // Loaded on use, so `wharf --help` and the client commands start without the whole server.
    const { describeDatabase, loadConfig } = await import('../../config/config.js');
    const { createLogger, flushLogger } = await import('../../platform/observability/logger.js');
    const { createWharf } = await import('../../wharf.js');
    const { buildApp } = await import('../../app.js');
    const config = loadConfig(flags);
    const logger = createLogger(config.logLevel);
    const wharf = await createWharf(config, logger);
    const app = await buildApp(wharf);
    await app.listen({ host: config.host, port: config.port });
    wharf.syncJob?.start();
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    const host = config.host.includes(':') ? `[${config.host}]` : config.host;
    process.stdout.write(
      `Wharf listening on http://${host}:${port} (database: ${describeDatabase(config.database)})\n`,
    );

    let closing = false;
    const shutdown = async (signal: string) => {
      if (closing) return;
      closing = true;
      logger.info({ signal }, 'shutting down: finishing in-flight requests');
      const force = setTimeout(() => process.exit(1), 15_000);
      force.unref();
      await app.close();
      await wharf.close();
      flushLogger(logger);
      process.exit(0);
    };
    process.on('SIGTERM', () => void shutdown('SIGTERM'));
    process.on('SIGINT', () => void shutdown('SIGINT'));
  });
}
