import { Module } from '@nestjs/common';
import { CallbacksController } from 'src/callbacks/callbacks.controller';
import { CallbacksMetrics, callbacksProvider } from 'src/callbacks/callbacks.metrics';
import { CallbacksRepository } from 'src/callbacks/callbacks.repository';
import { CallbacksService } from 'src/callbacks/callbacks.service';
import { UsersModule } from 'src/users/users.module';

@Module({
  imports: [UsersModule],
  controllers: [CallbacksController],
  providers: [CallbacksService, CallbacksRepository, CallbacksMetrics, callbacksProvider],
  exports: [CallbacksService],
})
export class CallbacksModule {}
