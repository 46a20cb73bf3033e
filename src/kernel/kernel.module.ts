import { Module } from '@nestjs/common';
import { KernelClient } from 'src/kernel/kernel.client';
import { KernelMetrics, kernelMetricProviders } from 'src/kernel/kernel.metrics';
import { OpenIdModule } from 'src/openid/openid.module';

/** Kernel's OAuth endpoints: the JWT-bearer grant and the user profile. */
@Module({
  imports: [OpenIdModule],
  providers: [...kernelMetricProviders, KernelMetrics, KernelClient],
  exports: [KernelClient],
})
export class KernelModule {}
