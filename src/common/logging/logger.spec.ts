import { Writable } from 'node:stream';
import { createLogger, redact } from 'src/common/logging/logger';

function capture(): { lines: Record<string, unknown>[]; text: () => string; stream: Writable } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return {
    stream,
    text: () => chunks.join(''),
    get lines() {
      return chunks
        .join('')
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    },
  };
}

describe('logger', () => {
  it('should redact sensitive members at any depth, whatever their case', () => {
    const out = capture();
    const logger = createLogger('info', out.stream);
    logger.info(
      {
        headers: { Authorization: 'APIKEY aak_x', 'X-API-Key': 'aak_y' },
        deep: { a: { b: { c: { phoneNumber: '+34600000001', list: [{ token: 't0k3n' }] } } } },
        route: '/users/:auraId',
      },
      'hello',
    );
    const [line] = out.lines;
    expect(line).toMatchObject({
      headers: { Authorization: '[redacted]', 'X-API-Key': '[redacted]' },
      deep: { a: { b: { c: { phoneNumber: '[redacted]', list: [{ token: '[redacted]' }] } } } },
      route: '/users/:auraId',
      message: 'hello',
      level: 'info',
    });
    expect(out.text()).not.toMatch(/aak_|600000001|t0k3n/);
  });

  it("should copy only what it redacts, and never change the caller's object", () => {
    const clean = { method: 'GET', route: '/users/:auraId', status: 200, tags: ['a', { b: 1 }] };
    expect(redact(clean)).toBe(clean);
    const mixed = { route: '/x', nested: { token: 't0k3n', keep: 1 }, list: [{ key: 'k' }, 'plain'] };
    expect(redact(mixed)).toEqual({
      route: '/x',
      nested: { token: '[redacted]', keep: 1 },
      list: [{ key: '[redacted]' }, 'plain'],
    });
    expect(mixed).toEqual({ route: '/x', nested: { token: 't0k3n', keep: 1 }, list: [{ key: 'k' }, 'plain'] });
  });

  it('should write a class instance as its own members, so its toJSON() cannot bring a secret back', () => {
    class Credential {
      constructor(readonly id: string) {}
      toJSON(): unknown {
        return { id: this.id, secret: 's3cr3t' };
      }
    }
    const out = capture();
    createLogger('info', out.stream).info({ credential: new Credential('c-1') }, 'seen');
    expect(out.lines[0]).toMatchObject({ credential: { id: 'c-1' } });
    expect(out.text()).not.toContain('s3cr3t');
  });

  it('should stamp each line with its ISO time, to the millisecond', () => {
    const out = capture();
    const logger = createLogger('info', out.stream);
    for (let i = 0; i < 50; i++) {
      const before = Date.now();
      logger.info('tick');
      const after = Date.now();
      const { time } = out.lines[i] as { time: string };
      expect(time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      expect(Date.parse(time)).toBeGreaterThanOrEqual(before);
      expect(Date.parse(time)).toBeLessThanOrEqual(after);
    }
  });

  it('should log errors by name, code, message and stack only, with digit runs masked', () => {
    const out = capture();
    const logger = createLogger('info', out.stream);
    const error = Object.assign(new Error('duplicate phone +34 600 000 002'), {
      code: '23505',
      parameters: ['+34600000002', 'secret'],
    });
    logger.error({ err: error }, 'failed for 600000002');
    const [line] = out.lines;
    expect(line.err).toMatchObject({ type: 'Error', code: '23505', message: 'duplicate phone [redacted]' });
    expect(out.text()).not.toMatch(/600 000 002|600000002|secret/);
  });
});

describe('logger: addresses are not phone numbers', () => {
  const message = (text: string): string => {
    const out = capture();
    createLogger('info', out.stream).info({ listener: 'api' }, text);
    return out.lines[0].message as string;
  };

  it.each([
    'Server listening at http://127.0.0.1:45383',
    'Server listening at http://192.168.100.200:3000',
    'Server listening at http://0.0.0.0:3000',
    'Server listening at http://[::1]:45383',
    'Server listening at http://[2001:db8:85a3::8a2e:370:7334]:8080',
    'Server listening at http://[::ffff:192.168.100.200]:3000',
    'connect ECONNREFUSED 10.200.30.140:5432',
    'redis://user@172.16.254.100:6379 unreachable',
  ])('should keep the listen address and port of %s', (text) => {
    expect(message(text)).toBe(text);
  });

  it.each([
    ['+34 600 000 002', 'call [redacted]'],
    ['600.123.456', 'call [redacted]'],
    // A valid IPv4 shape, but no address context (URL host, port, brackets): a dotted phone number.
    ['91.234.56.78', 'call [redacted]'],
    ['600123456:3000', 'call [redacted]:3000'],
    ['tel:91.234.56.78', 'call tel:[redacted]'],
    ['http://wa.me/34600123456', 'call http://wa.me/[redacted]'],
  ])('should still mask the phone number in "call %s"', (phone, masked) => {
    expect(message(`call ${phone}`)).toBe(masked);
  });
});
