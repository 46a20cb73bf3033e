import { type ExecutionContext, Injectable } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import type { RequestWithKey } from 'src/common/access/caller';

/** Counts requests per API key across all routes; keyless routes are counted per client address. */
@Injectable()
export class ApiKeyThrottlerGuard extends ThrottlerGuard {
  protected override getTracker(request: Record<string, unknown>): Promise<string> {
    const { user, ip } = request as unknown as RequestWithKey;
    return Promise.resolve(user === undefined ? `ip:${ip}` : `key:${user.id}`);
  }

  protected override generateKey(_context: ExecutionContext, tracker: string, throttlerName: string): string {
    return `${throttlerName}:${tracker}`;
  }
}
