import type { ExecutionContext } from '@nestjs/common';
import type { ThrottlerOptions } from '@nestjs/throttler';
import type { RequestWithCaller } from 'src/auth/caller';
import { Tier } from 'src/auth/tier';
import type { RateLimitSettings } from 'src/rate-limit/rate-limit.settings';

function requestOf(context: ExecutionContext): RequestWithCaller {
  return context.switchToHttp().getRequest<RequestWithCaller>();
}

/**
 * The limits every request passes, in this order (the first one exceeded refuses, and the later ones
 * are then not counted):
 * 1. `client`: per client address under one public key — channel keys ship inside web and app clients,
 *    so one abusive holder is limited alone and does not spend the channel's budget — and per client
 *    address for requests a browser session admits (sessions are as public as those keys);
 * 2. `default`: per caller — API key, session or device (keyless routes: per client address).
 */
export function throttlers(config: RateLimitSettings): ThrottlerOptions[] {
  const ttl = config.RATE_LIMIT_TTL_SECONDS * 1000;
  return [
    {
      name: 'client',
      ttl,
      limit: config.rateLimitClientLimit,
      skipIf: (context) => {
        const { user } = requestOf(context);
        return !(user?.kind === 'session' || (user?.kind === 'api-key' && user.tier === Tier.Public));
      },
      getTracker: (request) => {
        const { user, ip } = request as unknown as RequestWithCaller;
        return user?.kind === 'session'
          ? `session:ip:${ip}`
          : `key:${user?.kind === 'api-key' ? user.id : ''}:ip:${ip}`;
      },
    },
    { name: 'default', ttl, limit: config.RATE_LIMIT_LIMIT },
  ];
}
