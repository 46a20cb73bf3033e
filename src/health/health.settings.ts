import { IsInt, Max, Min } from 'class-validator';
import { EnvInt } from 'src/config/env';

/**
 * Limits of the liveness probe (/healthz).
 */
export class HealthSettings {
  /**
   * Longest the event loop may have been blocked since the previous liveness probe before /healthz reports the
   * process unable to serve, in ms.
   */
  @EnvInt()
  @IsInt()
  @Min(100)
  @Max(600_000)
  HEALTH_EVENT_LOOP_LIMIT_MS = 5_000;

  /** Heap size above which /healthz reports the process unhealthy, in MiB. */
  @EnvInt()
  @IsInt()
  @Min(64)
  @Max(16_384)
  HEALTH_HEAP_LIMIT_MB = 176;
}
