import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { GvpDeviceLink } from 'src/gvp/device-link.entity';
import { DeviceSignIn } from 'src/gvp/device-sign-in';
import { DeviceTokenVerifier } from 'src/gvp/device-token.verifier';
import { GvpController } from 'src/gvp/gvp.controller';
import { GvpMetrics, gvpSignInsProvider } from 'src/gvp/gvp.metrics';
import { GvpRepository } from 'src/gvp/gvp.repository';
import { GvpService } from 'src/gvp/gvp.service';
import { KernelModule } from 'src/kernel/kernel.module';
import { DirectLineModule } from 'src/directline/directline.module';
import { UsersModule } from 'src/users/users.module';

/** GVP device sign-in (docs/gvp.md): GetAuraId and GetAuraToken for TV devices. */
@Module({
  imports: [TypeOrmModule.forFeature([GvpDeviceLink]), KernelModule, DirectLineModule, UsersModule],
  controllers: [GvpController],
  providers: [gvpSignInsProvider, GvpMetrics, GvpRepository, DeviceTokenVerifier, DeviceSignIn, GvpService],
  exports: [DeviceTokenVerifier],
})
export class GvpModule {}
