import { plainToInstance } from 'class-transformer';
import { IsInt, IsOptional, IsString, IsUrl, Length, Matches, Max, Min, validateSync } from 'class-validator';
import { DirectLineFailure } from 'src/directline/directline-failure';

/** Visible ASCII without spaces: what Direct Line identifiers, tokens and ETags are made of. */
const VISIBLE_ASCII = /^[\x21-\x7e]+$/;

/** Members of every Direct Line token answer. */
abstract class DirectLineTokenFields {
  @IsString()
  @Length(1, 8192)
  @Matches(VISIBLE_ASCII)
  token: string;

  @IsInt()
  @Min(1)
  @Max(7 * 24 * 3600)
  expires_in: number;
}

/** What POST /v3/directline/tokens/generate answers (its conversation id is not passed on). */
export class DirectLineToken extends DirectLineTokenFields {
  @IsOptional()
  @IsString()
  @Length(1, 256)
  @Matches(VISIBLE_ASCII)
  conversationId?: string;
}

/** What POST /v3/directline/conversations answers. */
export class DirectLineConversation extends DirectLineTokenFields {
  @IsString()
  @Length(1, 256)
  @Matches(VISIBLE_ASCII)
  conversationId: string;

  /** wss:// (ws:// only when Direct Line itself is reached over plain http: a local stub). */
  @IsString()
  @IsUrl({
    protocols: ['wss', 'ws'],
    require_protocol: true,
    require_valid_protocol: true,
    require_tld: false,
    max_allowed_length: 16_384,
  })
  streamUrl: string;

  @IsOptional()
  @IsString()
  @Length(1, 128)
  @Matches(VISIBLE_ASCII)
  referenceGrammarId?: string;

  @IsOptional()
  @IsString()
  @Length(1, 256)
  @Matches(VISIBLE_ASCII)
  eTag?: string;
}

/**
 * Checks a parsed Direct Line body against its documented shape (types, bounded sizes, character sets).
 * Members not listed above are dropped; anything else wrong is a `bad_response` failure.
 */
export function validateDirectLineBody<T extends object>(
  shape: new () => T,
  body: unknown,
  options: { plainWebSocketAllowed: boolean },
): T {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new DirectLineFailure('bad_response', 'Direct Line answered something other than a JSON object');
  }
  const instance = plainToInstance(shape, body);
  const errors = validateSync(instance, { whitelist: true, forbidUnknownValues: true });
  if (errors.length > 0) {
    const fields = errors.map((error) => error.property).join(', ');
    throw new DirectLineFailure('bad_response', `Direct Line answered an invalid body (fields: ${fields})`);
  }
  if (
    instance instanceof DirectLineConversation &&
    !options.plainWebSocketAllowed &&
    !instance.streamUrl.startsWith('wss://')
  ) {
    throw new DirectLineFailure('bad_response', 'Direct Line answered a stream URL that is not wss://');
  }
  return instance;
}
