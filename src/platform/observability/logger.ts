import { pino } from 'pino';
import type { Logger } from 'pino';

export type { Logger };

/**
 * JSON logs; secrets in headers never reach a log line. Lines are written asynchronously, coalesced while a write
 * is in flight (a write syscall per request costs more than serving a cached list page); `flushLogger` runs at exit.
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'wharf' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers.cookie',
          'req.headers["x-api-key"]',
          'headers.authorization',
          'password',
          'token',
          'registry_token',
          '*.password',
          '*.token',
          '*.registry_token',
        ],
        censor: '[redacted]',
      },
    },
    destination ?? pino.destination({ dest: 1, sync: false }),
  );
}

/** For one-shot commands whose stdout is their answer (`--json`): log lines go to stderr. */
export function createCommandLogger(level: string): Logger {
  return createLogger(level, pino.destination({ dest: 2, sync: false }));
}

export function flushLogger(logger: Logger): void {
  try {
    logger.flush();
  } catch {
    // A destination that cannot flush (e.g. closed) has nothing left to lose.
  }
}
