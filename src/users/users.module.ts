import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ChannelAccessModule } from 'src/auth/channel-access.module';
import { UsersSettings } from 'src/users/users.settings';
import { PersonalDataCipher } from 'src/users/personal-data';
import { DeviceUsers } from 'src/users/device-users';
import { PhoneNumbers } from 'src/users/phone-numbers';
import { AuraUser } from 'src/users/user.entity';
import { UserSealing } from 'src/users/user-sealing';
import { UsersController } from 'src/users/users.controller';
import { UsersMetrics, usersCreatedProvider, usersDeletedProvider } from 'src/users/users.metrics';
import { UsersRepository } from 'src/users/users.repository';
import { UsersService } from 'src/users/users.service';
import { UsersSweeper } from 'src/users/users.sweeper';

/** The sealing keys come from the configuration (the CLI and migrations build their own cipher). */
const personalDataCipherProvider = {
  provide: PersonalDataCipher,
  useFactory: (config: UsersSettings) => new PersonalDataCipher(config),
  inject: [UsersSettings],
};

@Module({
  imports: [TypeOrmModule.forFeature([AuraUser]), ChannelAccessModule],
  controllers: [UsersController],
  providers: [
    UsersRepository,
    UserSealing,
    UsersService,
    DeviceUsers,
    UsersSweeper,
    UsersMetrics,
    usersCreatedProvider,
    usersDeletedProvider,
    PhoneNumbers,
    personalDataCipherProvider,
  ],
  exports: [UsersService, DeviceUsers, PhoneNumbers, PersonalDataCipher, UsersRepository],
})
export class UsersModule {}
