import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController } from 'src/health/health.controller';
import { HealthService } from 'src/health/health.service';
import { InvalidationModule } from 'src/invalidation/invalidation.module';
import { OpenIdModule } from 'src/openid/openid.module';

/** /healthz (liveness), /readyz (readiness) and /ping (Kernel). */
@Module({
  // HealthService logs failures itself, once, without Terminus' multi-line dump.
  imports: [TerminusModule.forRoot({ logger: false }), OpenIdModule, InvalidationModule],
  controllers: [HealthController],
  providers: [HealthService],
})
export class HealthModule {}
