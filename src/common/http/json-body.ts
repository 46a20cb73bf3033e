import type { FastifyInstance } from 'fastify';
import { CommonError, CommonErrorCode } from 'src/common/errors/common.errors';

/** No request of this API nests deeper; deeper documents only serve to exhaust the stack of whoever walks them. */
export const MAX_JSON_DEPTH = 32;

/** Whether the JSON text nests arrays/objects deeper than `limit` (strings are skipped), in one pass. */
export function nestsDeeperThan(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const char = text.charCodeAt(i);
    if (inString) {
      if (char === 0x5c /* \ */) {
        i++;
      } else if (char === 0x22 /* " */) {
        inString = false;
      }
    } else if (char === 0x22) {
      inString = true;
    } else if (char === 0x7b /* { */ || char === 0x5b /* [ */) {
      if (++depth > limit) {
        return true;
      }
    } else if (char === 0x7d /* } */ || char === 0x5d /* ] */) {
      depth--;
    }
  }
  return false;
}

/** Fastify's own JSON parser (prototype poisoning refused), behind a nesting limit. */
export function useBoundedJsonParser(fastify: FastifyInstance): void {
  const parse = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (nestsDeeperThan(body as string, MAX_JSON_DEPTH)) {
      done(
        new CommonError(CommonErrorCode.MalformedJson, `The request body nests deeper than ${MAX_JSON_DEPTH} levels.`),
        undefined,
      );
      return;
    }
    void parse(request, body as string, done);
  });
}
