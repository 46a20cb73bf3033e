import { Module } from '@nestjs/common';
import { AuthFailures, authFailuresProvider } from 'src/auth/auth-failures';
import { ChannelAccess } from 'src/auth/channel-access';

/**
 * What features need of the boundary beyond its declarations: object-level channel checks and the refusal
 * counter. Apart from AuthModule, so that a feature can use them without the credential machinery.
 */
@Module({ providers: [authFailuresProvider, AuthFailures, ChannelAccess], exports: [AuthFailures, ChannelAccess] })
export class ChannelAccessModule {}
