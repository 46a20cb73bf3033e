import { Module } from '@nestjs/common';
import { DirectLineClient } from 'src/directline/directline.client';
import { DirectLineMetrics, directLineMetricProviders } from 'src/directline/directline.metrics';
import { DirectLineController } from 'src/directline/directline.controller';
import { DirectLineService } from 'src/directline/directline.service';

@Module({
  controllers: [DirectLineController],
  providers: [...directLineMetricProviders, DirectLineMetrics, DirectLineClient, DirectLineService],
})
export class DirectLineModule {}
