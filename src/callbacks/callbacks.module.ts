import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CallbacksController } from 'src/callbacks/callbacks.controller';
import { CallbacksMetrics, callbacksProvider } from 'src/callbacks/callbacks.metrics';
import { CallbacksRepository } from 'src/callbacks/callbacks.repository';
import { CallbacksService } from 'src/callbacks/callbacks.service';
import { ConsumedCallbackToken } from 'src/callbacks/consumed-callback-token.entity';
import { SessionsModule } from 'src/sessions/sessions.module';
import { UsersModule } from 'src/users/users.module';

@Module({
  imports: [TypeOrmModule.forFeature([ConsumedCallbackToken]), UsersModule, SessionsModule],
  controllers: [CallbacksController],
  providers: [CallbacksService, CallbacksRepository, CallbacksMetrics, callbacksProvider],
  exports: [CallbacksService],
})
export class CallbacksModule {}
