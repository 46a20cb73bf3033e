import { Module } from '@nestjs/common';
import { AccessModule } from 'src/common/access/access.module';
import { ChannelAccess } from 'src/users/channel-access';
import { PhoneNumbers } from 'src/users/phone-numbers';
import { UsersController } from 'src/users/users.controller';
import { UsersMetrics, usersCreatedProvider, usersDeletedProvider } from 'src/users/users.metrics';
import { UsersRepository } from 'src/users/users.repository';
import { UsersService } from 'src/users/users.service';
import { UsersSweeper } from 'src/users/users.sweeper';

@Module({
  imports: [AccessModule],
  controllers: [UsersController],
  providers: [
    UsersRepository,
    UsersService,
    UsersSweeper,
    UsersMetrics,
    usersCreatedProvider,
    usersDeletedProvider,
    PhoneNumbers,
    ChannelAccess,
  ],
  exports: [UsersService, PhoneNumbers],
})
export class UsersModule {}
