import { UpstreamFailure, type UpstreamFailureKind } from 'src/common/http/upstream-failure';

/** How one Direct Line attempt went wrong: the upstream failures, and the answers of Direct Line's own. */
export type DirectLineFailureKind =
  | UpstreamFailureKind
  /** 401 or 403: the configured secret is wrong (a configuration problem: Direct Line itself answers). */
  | 'secret_rejected'
  /** A redirect (never followed) or another 4xx. */
  | 'unexpected_status';

export class DirectLineFailure extends UpstreamFailure<DirectLineFailureKind> {
  override readonly name: string = 'DirectLineFailure';
}
