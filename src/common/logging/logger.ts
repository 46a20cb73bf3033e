import { isIPv4 } from 'node:net';
import type { LoggerService } from '@nestjs/common';
import pino, { type DestinationStream, type Logger } from 'pino';
import { isError } from 'src/common/errors/app-error';
import type { LogLevel } from 'src/config/server.settings';

/** Anything that looks like a phone number or a long digit run (an identifier) is masked in free text. */
const DIGIT_RUN = /\+?\d(?:[\s().-]?\d){5,}/g;
const CENSOR = '[redacted]';
const FASTIFY_LISTENING = 'Server listening at ';

/** Members that may carry secrets or personal data, compared case-insensitively. */
const SENSITIVE_KEYS = new Set([
  'authorization',
  'x-api-key',
  'apikey',
  'key',
  'secret',
  'password',
  'cookie',
  'data',
  'phonenumber',
  'phone_number',
  'auraid',
  'token',
  'x-gvp-token',
  'assertion',
]);
const MAX_DEPTH = 8;

/**
 * Redacts sensitive members at any depth. Walking the (small) log object once is cheaper than
 * path-based redaction, which tests every configured path on every line. A plain object or array with
 * nothing to redact is returned as it is (most lines, such as the request log's): only what changes is copied.
 */
export function redact(value: unknown, depth = 0): unknown {
  if (
    typeof value !== 'object' ||
    value === null ||
    value instanceof Date ||
    value instanceof Error ||
    depth > MAX_DEPTH
  ) {
    return value;
  }
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let index = 0; index < value.length; index++) {
      const item = redact(value[index], depth + 1);
      if (item !== value[index]) {
        copy ??= [...(value as unknown[])];
        copy[index] = item;
      }
    }
    return copy ?? value;
  }
  // Anything but a plain object is copied to its own enumerable members, so no toJSON() or getter of a
  // class can bring back what was redacted.
  const prototype: unknown = Object.getPrototypeOf(value);
  let copy: Record<string, unknown> | undefined =
    prototype === Object.prototype || prototype === null ? undefined : { ...value };
  for (const name of Object.keys(value)) {
    const member = (value as Record<string, unknown>)[name];
    const redacted = SENSITIVE_KEYS.has(name.toLowerCase()) ? CENSOR : redact(member, depth + 1);
    if (redacted !== member) {
      copy ??= { ...value };
      copy[name] = redacted;
    }
  }
  return copy ?? value;
}

/** An IPv4 address where only an address stands: a URL host, before a port, IPv4-mapped IPv6, in brackets. */
function isNetworkAddress(text: string, match: string, offset: number): boolean {
  if (!isIPv4(match)) {
    return false;
  }
  const before = text.slice(Math.max(0, offset - 5), offset);
  const after = text.slice(offset + match.length, offset + match.length + 2);
  return /(\/\/|@|\[|:ffff:)$/i.test(before) || /^(:\d|\])/.test(after);
}

/** Masks phone-like digit runs in free text; IPv4 addresses of listeners and peers (with their port) stay. */
export function scrubText(text: string): string {
  return text.replace(DIGIT_RUN, (match: string, offset: number) =>
    isNetworkAddress(text, match, offset) ? match : CENSOR,
  );
}

/** Errors are logged by name, code, message and stack only — never their SQL parameters or driver details. */
function serializeError(error: unknown): Record<string, unknown> {
  if (!isError(error)) {
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

let timeSecond = -1;
let timePrefix = '';

/**
 * pino's `isoTime` (`,"time":"2026-01-02T03:04:05.678Z"`), with the date and time up to the second formatted
 * once a second rather than on every line: only the milliseconds change between lines.
 */
function isoTime(): string {
  const now = Date.now();
  const ms = now % 1000;
  const second = now - ms;
  if (second !== timeSecond) {
    timeSecond = second;
    timePrefix = `,"time":"${new Date(second).toISOString().slice(0, 20)}`;
  }
  return `${timePrefix}${ms < 10 ? '00' : ms < 100 ? '0' : ''}${ms}Z"`;
}

/** The process logger: JSON lines on stdout (or the given stream), with redaction applied before anything is written. */
export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'aura-authentication-api' },
      timestamp: isoTime,
      formatters: { level: (label) => ({ level: label }), log: (object) => redact(object) as Record<string, unknown> },
      messageKey: 'message',
      serializers: { err: serializeError, error: serializeError },
      hooks: {
        // Free-text messages are scrubbed too, in case an identifier slipped into one.
        logMethod(args, method) {
          // Fastify announces a 0.0.0.0 listener once per network interface; listen() announces each
          // listener once itself, with the address it is bound to (a structured call, so it passes here).
          if (typeof args[0] === 'string' && args[0].startsWith(FASTIFY_LISTENING)) {
            return;
          }
          for (let index = 0; index < args.length; index++) {
            const arg: unknown = args[index];
            if (typeof arg === 'string') {
              args[index] = scrubText(arg);
            }
          }
          method.apply(this, args);
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

  /**
   * Nest calls `(message, ...params, context)`. Structured calls look like
   * `logger.warn({ err, count }, 'what happened')`: the object becomes the log fields.
   */
  private write(level: pino.Level, message: unknown, params: unknown[]): void {
    const strings = params.filter((param): param is string => typeof param === 'string');
    const context = typeof params[params.length - 1] === 'string' ? strings.pop() : undefined;
    const text = strings.join(' ') || undefined;
    if (message instanceof Error) {
      this.logger[level]({ context, err: message }, text ?? message.message);
    } else if (typeof message === 'object' && message !== null) {
      this.logger[level]({ context, ...message }, text);
    } else {
      this.logger[level]({ context }, String(message));
    }
  }
}
