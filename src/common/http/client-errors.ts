import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import { CommonError, CommonErrorCode } from 'src/common/errors/common.errors';
import { PROBLEM_CONTENT_TYPE, toProblem } from 'src/common/errors/problem';

/**
 * Errors Node raises on a connection before (or while) a request is read — a request that took longer than
 * HTTP_REQUEST_TIMEOUT_MS, oversized headers, unparsable HTTP — answered as a problem document, then the
 * socket is closed. Nothing of the request reaches a log.
 */
export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) {
    return;
  }
  const known =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? new CommonError(CommonErrorCode.RequestTimeout, 'The request took too long to arrive.')
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? new CommonError(CommonErrorCode.HeadersTooLarge, 'The request headers are too large.')
        : new CommonError(CommonErrorCode.BadRequest, 'The request is not valid HTTP.');
  const problem = toProblem(known, randomUUID());
  const body = JSON.stringify(problem.body);
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${problem.status} ${problem.body.title}\r\n` +
        `Content-Type: ${PROBLEM_CONTENT_TYPE}\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        'Connection: close\r\n\r\n' +
        body,
    );
  }
  socket.destroy();
}
