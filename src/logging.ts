import pino, { type Logger } from 'pino';

/**
 * Structured logs. Patient data (names, phone numbers, dates of birth, message text) never goes in:
 * log ids and outcomes. The redact list is a second line of defence for fields that slip through.
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'clinic-concierge' },
      redact: {
        paths: ['*.phone', '*.phoneE164', '*.fullName', '*.dateOfBirth', '*.text', '*.body', '*.Body', '*.From', 'req.headers.authorization'],
        censor: '[redacted]',
      },
    },
    destination,
  );
}

export type { Logger };
