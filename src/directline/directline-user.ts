/**
 * Who a Direct Line token is bound to (enhanced authentication: Direct Line requires user ids to start with
 * `dl_`). Two namespaces that cannot collide, so that the bot can tell an identity this service authenticated
 * from one a caller merely asserts (docs/directline.md):
 * - `dl_a_<auraId>`: the caller proved it is that user — a browser session, a GVP device signed in;
 * - `dl_u_<userId>`: what the holder of an API key says (public keys ship inside apps: anyone can say anything).
 * The two prefixes differ at their fourth character, so no asserted `userId` can produce an authenticated id.
 */
export type DirectLineUser = { kind: 'authenticated'; auraId: string } | { kind: 'asserted'; userId: string };

export const AUTHENTICATED_USER_PREFIX = 'dl_a_';
export const ASSERTED_USER_PREFIX = 'dl_u_';

export function directLineUserId(user: DirectLineUser): string {
  switch (user.kind) {
    case 'authenticated':
      return AUTHENTICATED_USER_PREFIX + user.auraId;
    case 'asserted':
      return ASSERTED_USER_PREFIX + user.userId;
  }
}
