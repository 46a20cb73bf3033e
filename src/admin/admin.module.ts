import { Module } from '@nestjs/common';
import { AdminController } from 'src/admin/admin.controller';
import { AdminMetrics, gdprErasedUsersProvider, gdprErasuresProvider } from 'src/admin/admin.metrics';
import { AdminService } from 'src/admin/admin.service';
import { CallbacksModule } from 'src/callbacks/callbacks.module';
import { UsersModule } from 'src/users/users.module';

@Module({
  imports: [UsersModule, CallbacksModule],
  controllers: [AdminController],
  providers: [AdminService, AdminMetrics, gdprErasuresProvider, gdprErasedUsersProvider],
})
export class AdminModule {}
