import { Controller, Get, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import { PrometheusController } from '@willsoto/nestjs-prometheus';
import type { FastifyReply } from 'fastify';
import { NoApiKey } from 'src/common/access/access.decorator';
import { CommonError, CommonErrorCode } from 'src/common/errors/common.errors';
import { AppConfig } from 'src/config/app-config';

/** Prometheus exposition at /metrics, without an API key (scrapers are kept out at the network level). */
@ApiExcludeController()
@SkipThrottle()
@Controller()
export class MetricsController extends PrometheusController {
  constructor(private readonly config: AppConfig) {
    super();
  }

  @Get()
  @NoApiKey()
  override async index(@Res({ passthrough: true }) response: FastifyReply): Promise<string> {
    if (!this.config.METRICS_ENABLED) {
      throw new CommonError(CommonErrorCode.RouteNotFound, 'No such route.');
    }
    return super.index(response);
  }
}
