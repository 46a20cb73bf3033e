import { AppError } from 'src/common/errors/app-error';
import { errorStatuses } from 'src/common/errors/error-statuses';

export enum ApiKeyErrorCode {
  /** No key in any accepted place. */
  Missing = 'api_key_missing',
  /** Malformed, unknown, revoked, expired or of another environment — deliberately indistinguishable. */
  Invalid = 'api_key_invalid',
  /** A valid key whose tier this route does not admit. */
  TierForbidden = 'api_key_tier_forbidden',
  /** CLI: no key with that id or prefix. */
  NotFound = 'api_key_not_found',
}

/** Why a key was refused: in metrics and logs only, never in the response. */
export type ApiKeyRejection = 'missing' | 'malformed' | 'foreign_environment' | 'unknown' | 'revoked' | 'expired';

const WWW_AUTHENTICATE = { 'www-authenticate': 'APIKEY realm="aura-authentication-api"' };

const status = errorStatuses<ApiKeyErrorCode>({
  [ApiKeyErrorCode.Missing]: 401,
  [ApiKeyErrorCode.Invalid]: 401,
  [ApiKeyErrorCode.TierForbidden]: 403,
  [ApiKeyErrorCode.NotFound]: 404,
});

export class ApiKeyError extends AppError {
  constructor(
    override readonly code: ApiKeyErrorCode,
    detail: string,
    readonly rejection?: ApiKeyRejection,
  ) {
    super(
      code,
      detail,
      {},
      code === ApiKeyErrorCode.Missing || code === ApiKeyErrorCode.Invalid ? WWW_AUTHENTICATE : {},
    );
  }

  get status(): number {
    return status(this.code);
  }

  static missing(): ApiKeyError {
    return new ApiKeyError(
      ApiKeyErrorCode.Missing,
      'An API key is required: send `Authorization: APIKEY <key>` or `X-API-Key: <key>`.',
      'missing',
    );
  }

  static invalid(rejection: ApiKeyRejection): ApiKeyError {
    return new ApiKeyError(ApiKeyErrorCode.Invalid, 'The API key is not valid.', rejection);
  }
}
