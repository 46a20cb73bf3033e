import { Controller, Get } from '@nestjs/common';
import { ApiExtraModels, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import { Authenticated, NoCredential } from 'src/auth/authenticated.decorator';
import { Tier } from 'src/auth/tier';
import { ApiProblem } from 'src/common/http/api-problem.decorator';
import { HealthCheckDto, HealthResponseDto, PingResponseDto } from 'src/health/dto/health.dto';
import { HealthService } from 'src/health/health.service';

@ApiTags('Monitoring')
@ApiExtraModels(HealthCheckDto)
@Controller()
export class HealthController {
  constructor(private readonly health: HealthService) {}

  @Get('healthz')
  @NoCredential('probe')
  @SkipThrottle()
  @ApiOperation({
    summary:
      'Liveness (Kubernetes liveness probe): the process can serve — event loop not stalled, heap within bounds.',
    description: 'Nothing outside the process counts: a database outage does not fail it (that is /readyz).',
  })
  @ApiOkResponse({ type: HealthResponseDto })
  @ApiProblem(503, 'A check failed; `checks` names it.', ['unhealthy'])
  getHealth(): Promise<HealthResponseDto> {
    return this.health.liveness();
  }

  @Get('readyz')
  @NoCredential('probe')
  @SkipThrottle()
  @ApiOperation({
    summary:
      'Readiness (Kubernetes readiness and startup probes): the database answers, the migrations of this build ' +
      'are applied, the signing keys are loaded; the invalidation listener is reported.',
    description:
      'A replica whose invalidation listener is down stays ready (`listening: false, fallback: true`): its caches ' +
      'then trust entries for INVALIDATION_FALLBACK_TTL_SECONDS at most.',
  })
  @ApiOkResponse({ type: HealthResponseDto })
  @ApiProblem(503, 'A check failed; `checks` names it.', ['unhealthy'])
  getReadiness(): Promise<HealthResponseDto> {
    return this.health.readiness();
  }

  @Get('ping')
  @Authenticated({ tiers: [Tier.Kernel] })
  @ApiOperation({ summary: 'Liveness for Kernel: answers while the service runs.' })
  @ApiOkResponse({ type: PingResponseDto })
  ping(): PingResponseDto {
    return this.health.ping();
  }
}
