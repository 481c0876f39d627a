import pino, { type Logger } from 'pino';

/**
 * Structured logs. Patient data (names, phone numbers, dates of birth, message text) never goes in:
 * log ids and outcomes. The redact list is a second line of defence for fields that slip through,
 * and every error logged under `err` is scrubbed (below), since error messages are written by
 * libraries that quote what they were given.
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
      // In place of pino's own error serializer, which would write the message and stack as they are.
      serializers: { err: errorForLog },
      hooks: {
        // logger.error(err) would make the error's own message the log line's message, unscrubbed.
        logMethod(args, method) {
          if (args[0] instanceof Error) {
            const [err, msg] = args as unknown as [Error, unknown];
            return method.call(this, { err }, typeof msg === 'string' ? msg : 'error');
          }
          return method.apply(this, args);
        },
      },
    },
    destination,
  );
}

// PostgreSQL quotes the bad value ('invalid input syntax for type date: "1990-02-30"'), JSON.parse
// quotes the text it choked on, HTTP clients put numbers in URLs: whatever is quoted, looks like a
// phone number, an email address or a date is taken out. Names cannot be recognised, but they only
// reach an error message inside quotes.
const SCRUBS: Array<[RegExp, string]> = [
  [/"(?:[^"\\]|\\.)*"/g, '"[redacted]"'],
  [/'(?:[^'\\]|\\.)*'/g, "'[redacted]'"],
  [/`[^`]*`/g, '`[redacted]`'],
  [/[^\s@"'<>()]+@[^\s@"'<>()]+\.[A-Za-z]{2,}/g, '[email]'],
  [/\b\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}\b/g, '[date]'],
  [/\+?\d[\d\s().-]{5,}\d/g, '[number]'],
];

// Addresses of the service's own servers ("connect ECONNREFUSED 127.0.0.1:6379") are what an operator
// needs from a log, and would otherwise look like a date or a number: they are set aside first.
const IPV4 = /\b(?:\d{1,3}\.){3}\d{1,3}\b/g;

/** Text from outside the service (an error message, a library's log line) made fit for a log. */
export function scrubText(text: string, max = 300): string {
  const kept: string[] = [];
  let out = (text.length > max * 4 ? text.slice(0, max * 4) : text).replace(IPV4, (ip) =>
    ip.split('.').every((octet) => Number(octet) <= 255) ? `\u0000${kept.push(ip) - 1}\u0000` : ip,
  );
  for (const [pattern, replacement] of SCRUBS) out = out.replace(pattern, replacement);
  out = out.replace(/\u0000(\d+)\u0000/g, (_, i: string) => kept[Number(i)]);
  return out.length > max ? `${out.slice(0, max)}…` : out;
}

/** An error as it may be logged: its kind and code, and its message scrubbed; never the input it quotes. */
export function errorForLog(err: unknown): { name?: string; code?: string; message: string } {
  if (typeof err === 'string') return { message: scrubText(err) };
  if (err && typeof err === 'object') {
    const e = err as { name?: unknown; code?: unknown; message?: unknown };
    return {
      ...(typeof e.name === 'string' ? { name: e.name } : {}),
      ...(typeof e.code === 'string' || typeof e.code === 'number' ? { code: String(e.code) } : {}),
      message: scrubText(typeof e.message === 'string' ? e.message : ''),
    };
  }
  return { message: scrubText(String(err)) };
}

export type { Logger };
