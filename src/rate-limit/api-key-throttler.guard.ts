import { type ExecutionContext, Injectable } from '@nestjs/common';
import {
  ThrottlerGuard,
  type ThrottlerGenerateKeyFunction,
  type ThrottlerGetTrackerFunction,
  type ThrottlerLimitDetail,
  type ThrottlerOptions,
} from '@nestjs/throttler';
import {
  THROTTLER_BLOCK_DURATION,
  THROTTLER_KEY_GENERATOR,
  THROTTLER_LIMIT,
  THROTTLER_SKIP,
  THROTTLER_TRACKER,
  THROTTLER_TTL,
} from '@nestjs/throttler/dist/throttler.constants';
import type { FastifyReply } from 'fastify';
import type { Caller, RequestWithCaller } from 'src/auth/caller';

/** A limit of the module's options, named by the library at init ('default' when unnamed). */
type NamedThrottler = ThrottlerOptions & { name: string };

/** One limit as it applies to one route: what the route's metadata says, resolved once. */
interface RouteLimit {
  throttler: NamedThrottler;
  limit: number;
  ttl: number;
  blockDuration: number;
  getTracker: ThrottlerGetTrackerFunction;
  generateKey: ThrottlerGenerateKeyFunction;
  /** The limit's own `skipIf`, else the module's: decided per request (it reads the caller). */
  skipIf: ThrottlerOptions['skipIf'];
}

interface RoutePlan {
  classRef: unknown;
  /** The limits the route counts (those it skips with `@SkipThrottle()` are left out). */
  limits: RouteLimit[];
}

/**
 * Counts requests per caller across all routes (keyless routes per client address), and per client address
 * under each public key (src/rate-limit/throttlers.ts).
 *
 * The library reads a dozen metadata entries per request to find each route's limits; they cannot change
 * after boot, so they are read on a route's first request and kept (the counting itself is the library's).
 */
@Injectable()
export class ApiKeyThrottlerGuard extends ThrottlerGuard {
  private readonly plans = new Map<unknown, RoutePlan>();

  /**
   * Synchronous when the request counts against no limit (`@SkipThrottle()`, or each limit's `skipIf`, as on a
   * keyless route): Nest then awaits nothing for it. The library types this method as a promise; Nest's guard
   * consumer takes a plain boolean as well.
   */
  override canActivate(context: ExecutionContext): Promise<boolean> {
    const counted = this.planOf(context).filter((route) => !route.skipIf?.(context));
    const admitted: boolean | Promise<boolean> = counted.length === 0 || this.count(context, counted);
    return admitted as Promise<boolean>;
  }

  /** In order: the first limit exceeded refuses, and the later ones are then not counted. */
  private async count(context: ExecutionContext, limits: RouteLimit[]): Promise<boolean> {
    for (const route of limits) {
      await this.handleRequest({ context, ...route });
    }
    return true;
  }

  protected override getTracker(request: Record<string, unknown>): Promise<string> {
    const { user, ip } = request as unknown as RequestWithCaller;
    return Promise.resolve(user === undefined ? `ip:${ip}` : trackerOf(user));
  }

  protected override generateKey(_context: ExecutionContext, tracker: string, throttlerName: string): string {
    return `${throttlerName}:${tracker}`;
  }

  /** Every limit answers a plain Retry-After (the library names it after the limit, `Retry-After-client`). */
  protected override async throwThrottlingException(
    context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    void context
      .switchToHttp()
      .getResponse<FastifyReply>()
      .header('retry-after', String(Math.max(1, detail.timeToBlockExpire)));
    return super.throwThrottlingException(context, detail);
  }

  private planOf(context: ExecutionContext): RouteLimit[] {
    const handler = context.getHandler();
    const classRef = context.getClass();
    const known = this.plans.get(handler);
    if (known !== undefined && known.classRef === classRef) {
      return known.limits;
    }
    const limits = this.resolveLimits([handler, classRef]);
    this.plans.set(handler, { classRef, limits });
    return limits;
  }

  /** As the library's canActivate resolves them, with route and class metadata over the module's options. */
  private resolveLimits(
    targets: [ReturnType<ExecutionContext['getHandler']>, ReturnType<ExecutionContext['getClass']>],
  ): RouteLimit[] {
    const read = <T>(key: string, throttler: NamedThrottler) =>
      this.reflector.getAllAndOverride<T | undefined>(key + throttler.name, targets);
    const limits: RouteLimit[] = [];
    for (const throttler of this.throttlers as NamedThrottler[]) {
      if (read<boolean>(THROTTLER_SKIP, throttler) === true) {
        continue;
      }
      const ttl = read<number>(THROTTLER_TTL, throttler) ?? throttler.ttl;
      const limit = read<number>(THROTTLER_LIMIT, throttler) ?? throttler.limit;
      const blockDuration = read<number>(THROTTLER_BLOCK_DURATION, throttler) ?? throttler.blockDuration ?? ttl;
      if (typeof ttl !== 'number' || typeof limit !== 'number' || typeof blockDuration !== 'number') {
        throw new Error(`Throttler "${throttler.name}": limits resolved per request are not supported`);
      }
      limits.push({
        throttler,
        ttl,
        limit,
        blockDuration,
        getTracker:
          read<ThrottlerGetTrackerFunction>(THROTTLER_TRACKER, throttler) ??
          throttler.getTracker ??
          this.commonOptions.getTracker!,
        generateKey:
          read<ThrottlerGenerateKeyFunction>(THROTTLER_KEY_GENERATOR, throttler) ??
          throttler.generateKey ??
          this.commonOptions.generateKey!,
        skipIf: throttler.skipIf ?? this.commonOptions.skipIf,
      });
    }
    return limits;
  }
}

/** The counter a caller spends: its key, its session or its device. */
function trackerOf(caller: Caller): string {
  switch (caller.kind) {
    case 'api-key':
      return `key:${caller.id}`;
    case 'session':
      return `session:${caller.sessionId}`;
    case 'device':
      return `device:${caller.deviceId}`;
  }
}
