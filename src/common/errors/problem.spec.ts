import { runInNewContext } from 'node:vm';
import { BadRequestException, NotFoundException } from '@nestjs/common';
import { ThrottlerException } from '@nestjs/throttler';
import { CommonError, CommonErrorCode } from 'src/common/errors/common.errors';
import { isDatabaseUnavailable, toProblem } from 'src/common/errors/problem';

describe('toProblem', () => {
  it('should write an AppError as an RFC 9457 document with code and request id', () => {
    const problem = toProblem(
      new CommonError(CommonErrorCode.ValidationFailed, 'Invalid input: name.', { errors: [] }),
      'r1',
    );
    expect(problem).toEqual({
      status: 400,
      headers: {},
      body: {
        type: 'urn:aura-authentication-api:problem:validation_failed',
        title: 'Bad Request',
        status: 400,
        detail: 'Invalid input: name.',
        instance: 'urn:aura-authentication-api:request:r1',
        code: 'validation_failed',
        requestId: 'r1',
        errors: [],
      },
    });
  });

  it.each(Object.values(CommonErrorCode))('should map every common code to an HTTP status: %s', (code) => {
    const status = new CommonError(code, 'x').status;
    expect(status).toBeGreaterThanOrEqual(400);
    expect(status).toBeLessThan(600);
  });

  it('should hide the details of an unexpected error behind an error id', () => {
    const problem = toProblem(new Error('password=hunter2 at db.internal:5432'), 'r2');
    expect(problem.status).toBe(500);
    expect(JSON.stringify(problem.body)).not.toContain('hunter2');
    expect(problem.body.errorId).toEqual(problem.unexpected?.errorId);
  });

  it('should map Fastify body errors that Nest wrapped to their own codes', () => {
    const cause = Object.assign(new Error('Unexpected token'), {
      code: 'FST_ERR_CTP_INVALID_JSON_BODY',
      statusCode: 400,
    });
    const wrapped = new BadRequestException('Unexpected token', { cause });
    expect(toProblem(wrapped, 'r').body.code).toBe('malformed_json');
    const tooLarge = Object.assign(new Error('too large'), { code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 });
    expect(toProblem(tooLarge, 'r').status).toBe(413);
  });

  it('should map Nest exceptions and throttling', () => {
    expect(toProblem(new NotFoundException(), 'r').body.code).toBe('route_not_found');
    expect(toProblem(new ThrottlerException(), 'r').status).toBe(429);
  });

  it('should answer 503 when the database cannot be reached', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    expect(toProblem(refused, 'r')).toMatchObject({ status: 503, body: { code: 'database_unavailable' } });
    expect(
      isDatabaseUnavailable(
        Object.assign(new Error('query failed'), { driverError: Object.assign(new Error('x'), { code: '57P01' }) }),
      ),
    ).toBe(true);
    expect(isDatabaseUnavailable(new Error('timeout exceeded when trying to connect'))).toBe(true);
    expect(isDatabaseUnavailable(Object.assign(new Error('duplicate key'), { code: '23505' }))).toBe(false);
    // A transaction whose connection dropped: TypeORM refuses the next statement with this error.
    for (const name of ['QueryRunnerAlreadyReleasedError', 'QueryRunnerProviderAlreadyReleasedError']) {
      expect(isDatabaseUnavailable(Object.assign(new Error('already released'), { name }))).toBe(true);
    }
    // A socket error made by Node in another realm (as under Jest or vm) is still an unreachable database.
    const foreign = runInNewContext(`Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })`) as Error;
    expect(foreign instanceof Error).toBe(false);
    expect(isDatabaseUnavailable(foreign)).toBe(true);
  });
});
