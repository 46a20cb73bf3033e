import { AppError } from 'src/common/errors/app-error';
import { errorStatuses } from 'src/common/errors/error-statuses';

export enum UsersErrorCode {
  /** No record for that auraId: the user is anonymous (docs/users.md). */
  NotFound = 'user_not_found',
  /** The record exists but its validity ended: the channel must authenticate the user again. */
  Expired = 'user_expired',
  /** No valid auraId of that auraIdGlobal in the channel. */
  AuraIdGlobalNotFound = 'aura_id_global_not_found',
  /** The auraId already belongs to a user of another channel. */
  ChannelConflict = 'user_channel_conflict',
  /** The Kernel authorization is already linked to another auraId of the channel. */
  AuthorizationConflict = 'authorization_already_linked',
  /** A new record was to get an auraId (Kernel's choice) that another record already has. */
  AuraIdTaken = 'aura_id_taken',
}

const status = errorStatuses<UsersErrorCode>({
  [UsersErrorCode.NotFound]: 404,
  [UsersErrorCode.Expired]: 404,
  [UsersErrorCode.AuraIdGlobalNotFound]: 404,
  [UsersErrorCode.ChannelConflict]: 409,
  [UsersErrorCode.AuthorizationConflict]: 409,
  [UsersErrorCode.AuraIdTaken]: 409,
});

export class UsersError extends AppError {
  constructor(
    override readonly code: UsersErrorCode,
    detail: string,
  ) {
    super(code, detail);
  }

  get status(): number {
    return status(this.code);
  }

  static notFound(): UsersError {
    return new UsersError(UsersErrorCode.NotFound, 'No user with that auraId: the user is anonymous.');
  }

  static expired(): UsersError {
    return new UsersError(UsersErrorCode.Expired, 'The user record has expired: authenticate the user again.');
  }
}
