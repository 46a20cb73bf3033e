import { Writable } from 'node:stream';
import { createLogger } from 'src/common/logging/logger';

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
