import { Global, Module } from '@nestjs/common';
import { PrometheusModule } from '@willsoto/nestjs-prometheus';
import { HttpMetrics, httpRequestDurationProvider } from 'src/common/metrics/http-metrics';
import { MetricsController } from 'src/common/metrics/metrics.controller';
import { MetricsServer } from 'src/common/metrics/metrics.server';
import { DatabasePoolMetrics } from 'src/common/metrics/database-pool.metrics';

@Global()
@Module({
  imports: [
    PrometheusModule.register({ controller: MetricsController, path: '/metrics', defaultMetrics: { enabled: true } }),
  ],
  providers: [httpRequestDurationProvider, HttpMetrics, DatabasePoolMetrics, MetricsServer],
  exports: [HttpMetrics, PrometheusModule],
})
export class MetricsModule {}
