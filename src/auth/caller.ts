import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Tier } from 'src/auth/tier';

/** An API key (aura-bot, Kernel, a channel). */
export interface ApiKeyCaller {
  kind: 'api-key';
  id: string;
  name: string;
  prefix: string;
  tier: Tier;
  /** The channel the key is bound to, or null for a key that names the channel it acts on. */
  channel: string | null;
}

/** A browser session (the `authara_access` cookie). */
export interface SessionCaller {
  kind: 'session';
  sessionId: string;
  auraId: string;
  audience: string;
}

/** A GVP device, by its device token: who the device and its subscriber are (the auraId comes from sign-in). */
export interface DeviceCaller {
  kind: 'device';
  deviceId: string;
  subscriber: string;
}

/**
 * Who is calling, as the boundary authenticated it: one typed value on `request.user` (Passport's
 * convention), read by handlers with `@Caller()`. Absent on routes declared `@NoCredential()`.
 */
export type Caller = ApiKeyCaller | SessionCaller | DeviceCaller;

export type RequestWithCaller = FastifyRequest & { user?: Caller };

/** The caller of the request (see the route's `@Authenticated()`), `undefined` on a keyless route. */
export const Caller = createParamDecorator(
  (_data: unknown, context: ExecutionContext): Caller | undefined =>
    context.switchToHttp().getRequest<RequestWithCaller>().user,
);

/** The channel a caller is bound to: a channel-bound API key's; null for every other caller. */
export function boundChannel(caller: Caller | undefined): string | null {
  return caller?.kind === 'api-key' ? caller.channel : null;
}
