import { Controller, Get, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import { PrometheusController } from '@willsoto/nestjs-prometheus';
import type { FastifyReply } from 'fastify';
import { Access } from 'src/common/access/access.decorator';
import { Tier } from 'src/common/access/tier';
import { CommonError, CommonErrorCode } from 'src/common/errors/common.errors';
import { AppConfig } from 'src/config/app-config';

/**
 * Prometheus exposition at /metrics, a public endpoint: any valid API key of the environment (the
 * ServiceMonitor sends one). METRICS_PORT adds a keyless listener for in-cluster scrapers (MetricsServer).
 */
@ApiExcludeController()
@SkipThrottle()
@Controller()
export class MetricsController extends PrometheusController {
  constructor(private readonly config: AppConfig) {
    super();
  }

  @Get()
  @Access(Tier.Public)
  override async index(@Res({ passthrough: true }) response: FastifyReply): Promise<string> {
    if (!this.config.METRICS_ENABLED) {
      throw new CommonError(CommonErrorCode.RouteNotFound, 'No such route.');
    }
    return super.index(response);
  }
}
