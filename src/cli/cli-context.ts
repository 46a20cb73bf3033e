import { Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ApiKeysManagementModule } from 'src/api-keys/api-keys-management.module';
import { AuditModule } from 'src/audit/audit.module';
import { createLogger, NestPinoLogger } from 'src/common/logging/logger';
import type { AppConfig } from 'src/config/app-config';
import { ConfigModule } from 'src/config/config.module';
import { ServerSettings } from 'src/config/server.settings';
import { DatabaseModule } from 'src/database/database.module';

@Module({ imports: [DatabaseModule, AuditModule, ApiKeysManagementModule] })
class CliModule {}

/** The slice of the service the operator commands need: configuration, database, audit, keys. No HTTP. */
export async function createCliContext(config: AppConfig): Promise<INestApplicationContext> {
  const { LOG_LEVEL } = config.get(ServerSettings);
  const logger = createLogger(LOG_LEVEL === 'info' ? 'warn' : LOG_LEVEL, undefined);
  const context = await NestFactory.createApplicationContext(
    { module: CliModule, imports: [ConfigModule.forRoot(config)] },
    { logger: new NestPinoLogger(logger), abortOnError: false },
  );
  return context;
}
