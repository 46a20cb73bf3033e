import { Module } from '@nestjs/common';
import { DirectLineClient } from 'src/directline/directline.client';
import { DirectLineMetrics, directLineMetricProviders } from 'src/directline/directline.metrics';
import { DirectLineService } from 'src/directline/directline.service';

/** The Direct Line client (retries, deadline, breaker) and the token requests built on it, for /token and GVP. */
@Module({
  providers: [...directLineMetricProviders, DirectLineMetrics, DirectLineClient, DirectLineService],
  exports: [DirectLineService],
})
export class DirectLineModule {}
