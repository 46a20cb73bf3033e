import { Module } from '@nestjs/common';
import { CallbacksController } from 'src/callbacks/callbacks.controller';
import { CallbacksMetrics, callbacksProvider } from 'src/callbacks/callbacks.metrics';
import { CallbacksRepository } from 'src/callbacks/callbacks.repository';
import { CallbacksService } from 'src/callbacks/callbacks.service';
import { SessionsModule } from 'src/sessions/sessions.module';
import { UsersModule } from 'src/users/users.module';

@Module({
  imports: [UsersModule, SessionsModule],
  controllers: [CallbacksController],
  providers: [CallbacksService, CallbacksRepository, CallbacksMetrics, callbacksProvider],
  exports: [CallbacksService],
})
export class CallbacksModule {}
