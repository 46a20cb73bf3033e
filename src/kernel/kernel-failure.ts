import { UpstreamFailure, type UpstreamFailureKind } from 'src/common/http/upstream-failure';

/** How one Kernel attempt went wrong: the upstream failures, and the answers of Kernel's own. */
export type KernelFailureKind =
  | UpstreamFailureKind
  /** Kernel refused this service's client credentials (400 invalid_client, 401, 403), or another 4xx or a redirect. */
  | 'client_rejected'
  /**
   * Kernel does not know the subscriber: 404, 204 or an empty result (`{}`, `[]`, `null`) on the profile; an
   * `invalid_grant` on the token endpoint whose `error_description` says the subject is unknown.
   */
  | 'subject_unknown'
  /** Kernel refused this service's assertion (signature, kid, audience, expiry, replay): any other `invalid_grant`. */
  | 'assertion_refused'
  /** The assertion could not be signed (no usable private key). */
  | 'signing_failed';

export class KernelFailure extends UpstreamFailure<KernelFailureKind> {
  override readonly name: string = 'KernelFailure';
}
