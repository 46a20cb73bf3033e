import { Controller, Get, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import { PrometheusController } from '@willsoto/nestjs-prometheus';
import type { FastifyReply } from 'fastify';
import { Authenticated } from 'src/auth/authenticated.decorator';
import { Tier } from 'src/auth/tier';
import { ApiProblem } from 'src/common/http/api-problem.decorator';
import { CommonError, CommonErrorCode } from 'src/common/errors/common.errors';
import { MetricsSettings } from 'src/common/metrics/metrics.settings';

/**
 * Prometheus exposition at /metrics, a public endpoint: any valid API key of the environment (the
 * ServiceMonitor sends one). METRICS_PORT adds a keyless listener for in-cluster scrapers (MetricsServer).
 */
@ApiTags('Monitoring')
@SkipThrottle()
@Controller()
export class MetricsController extends PrometheusController {
  constructor(private readonly config: MetricsSettings) {
    super();
  }

  @Get()
  @Authenticated({ tiers: [Tier.Public] })
  @ApiOperation({
    operationId: 'getMetrics',
    summary: 'Prometheus metrics, for the ServiceMonitor.',
    description:
      'The Prometheus text exposition format. With METRICS_PORT set, also served without a key on that port, ' +
      'which the Service does not expose.',
  })
  @ApiProduces('text/plain')
  @ApiOkResponse({
    description: 'Every metric of the service, in the text exposition format.',
    schema: { type: 'string' },
  })
  @ApiProblem(404, 'Metrics are switched off (METRICS_ENABLED=false).', ['route_not_found'])
  override async index(@Res({ passthrough: true }) response: FastifyReply): Promise<string> {
    if (!this.config.METRICS_ENABLED) {
      throw new CommonError(CommonErrorCode.RouteNotFound, 'No such route.');
    }
    return super.index(response);
  }
}
