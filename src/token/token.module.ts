import { Module } from '@nestjs/common';
import { DirectLineClient } from 'src/token/directline.client';
import { DirectLineMetrics, directLineMetricProviders } from 'src/token/directline.metrics';
import { TokenController } from 'src/token/token.controller';
import { TokenService } from 'src/token/token.service';

@Module({
  controllers: [TokenController],
  providers: [...directLineMetricProviders, DirectLineMetrics, DirectLineClient, TokenService],
  exports: [TokenService],
})
export class TokenModule {}
