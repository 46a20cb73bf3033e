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
  @ApiOperation({ summary: 'Health of the service for Kubernetes probes: database reachable, heap within bounds.' })
  @ApiOkResponse({ type: HealthResponseDto })
  @ApiProblem(503, 'A check failed; `checks` names it.', ['unhealthy'])
  getHealth(): Promise<HealthResponseDto> {
    return this.health.check();
  }

  @Get('ping')
  @Authenticated({ tiers: [Tier.Kernel] })
  @ApiOperation({ summary: 'Liveness for Kernel: answers while the service runs.' })
  @ApiOkResponse({ type: PingResponseDto })
  ping(): PingResponseDto {
    return this.health.ping();
  }
}
