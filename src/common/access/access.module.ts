import { Module } from '@nestjs/common';
import { AuthFailures, authFailuresProvider } from 'src/common/access/auth-failures';

/** What a feature needs of the security boundary without depending on the API-key machinery. */
@Module({ providers: [authFailuresProvider, AuthFailures], exports: [AuthFailures] })
export class AccessModule {}
