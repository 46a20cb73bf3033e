import type { LoggerService } from '@nestjs/common';
import pino, { type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from 'src/config/app-config';

/** Anything that looks like a phone number or a long digit run (an identifier) is masked in free text. */
const DIGIT_RUN = /\+?\d(?:[\s().-]?\d){5,}/g;
const CENSOR = '[redacted]';

/** Structured members that may carry secrets or personal data, at the depths our log calls use. */
const SENSITIVE_KEYS = [
  'authorization',
  '"x-api-key"',
  'apiKey',
  'key',
  'secret',
  'password',
  'data',
  'phoneNumber',
  'phone_number',
  'auraId',
  'token',
];
export const REDACTED_PATHS = SENSITIVE_KEYS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`, `*.*.*.${key}`]);

export function scrubText(text: string): string {
  return text.replace(DIGIT_RUN, CENSOR);
}

/** Errors are logged by name, code, message and stack only — never their SQL parameters or driver details. */
function serializeError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) {
    return { message: scrubText(String(error)) };
  }
  const { code } = error as Error & { code?: unknown };
  return {
    type: error.name,
    ...(typeof code === 'string' || typeof code === 'number' ? { code } : {}),
    message: scrubText(error.message),
    stack: error.stack === undefined ? undefined : scrubText(error.stack),
  };
}

/** The process logger: JSON lines on stdout (or the given stream), with redaction applied before anything is written. */
export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'aura-authentication-api' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      messageKey: 'message',
      redact: { paths: REDACTED_PATHS, censor: CENSOR },
      serializers: { err: serializeError, error: serializeError },
      hooks: {
        // Free-text messages are scrubbed too, in case an identifier slipped into one.
        logMethod(args, method) {
          const scrubbed = args.map((arg) => (typeof arg === 'string' ? scrubText(arg) : arg)) as typeof args;
          method.apply(this, scrubbed);
        },
      },
    },
    destination ?? pino.destination({ fd: 1, sync: false, minLength: 4096 }),
  );
}

/** Nest's own messages (boot, routes, shutdown) through the same JSON logger. */
export class NestPinoLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params);
  }
  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params);
  }
  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  private write(level: pino.Level, message: unknown, params: unknown[]): void {
    const context = typeof params[params.length - 1] === 'string' ? (params[params.length - 1] as string) : undefined;
    if (message instanceof Error) {
      this.logger[level]({ context, err: message }, message.message);
    } else if (typeof message === 'object' && message !== null) {
      // logger.warn({ fields }, 'text') arrives as (fields, 'text', context).
      const text = params.length > 1 && typeof params[0] === 'string' ? params[0] : undefined;
      this.logger[level]({ context, ...message }, text);
    } else {
      this.logger[level]({ context }, String(message));
    }
  }
}
