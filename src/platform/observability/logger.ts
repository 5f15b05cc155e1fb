import { pino } from 'pino';
import type { Logger } from 'pino';

export type { Logger };

/** JSON logs; secrets in headers never reach a log line. */
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
          '*.password',
          '*.token',
          '*.registry_token',
        ],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
