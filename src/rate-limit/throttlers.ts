import type { ExecutionContext } from '@nestjs/common';
import type { ThrottlerOptions } from '@nestjs/throttler';
import type { RequestWithKey } from 'src/common/access/caller';
import { Tier } from 'src/common/access/tier';
import type { AppConfig } from 'src/config/app-config';

function requestOf(context: ExecutionContext): RequestWithKey {
  return context.switchToHttp().getRequest<RequestWithKey>();
}

/**
 * The limits every request passes, in this order (the first one exceeded refuses, and the later ones
 * are then not counted):
 * 1. `client`: per client address under one public key — channel keys ship inside web and app clients,
 *    so one abusive holder is limited alone and does not spend the channel's budget;
 * 2. `default`: per API key (keyless routes: per client address).
 */
export function throttlers(config: AppConfig): ThrottlerOptions[] {
  const ttl = config.RATE_LIMIT_TTL_SECONDS * 1000;
  return [
    {
      name: 'client',
      ttl,
      limit: config.rateLimitClientLimit,
      skipIf: (context) => requestOf(context).user?.tier !== Tier.Public,
      getTracker: (request) => {
        const { user, ip } = request as unknown as RequestWithKey;
        return `key:${user?.id}:ip:${ip}`;
      },
    },
    { name: 'default', ttl, limit: config.RATE_LIMIT_LIMIT },
  ];
}
