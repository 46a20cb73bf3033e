import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DatabaseSettings } from 'src/database/database.settings';
import { Database } from 'src/database/database';
import { dataSourceOptions } from 'src/database/data-source-options';

/** The connection, and `Database`, the one way repositories run statements and services open transactions. */
@Global()
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [DatabaseSettings],
      useFactory: (config: DatabaseSettings) => ({
        ...dataSourceOptions(config),
        migrationsRun: config.runMigrationsAtStart,
        // Fail the boot rather than retrying for minutes: Kubernetes restarts the pod.
        retryAttempts: 2,
        retryDelay: 1_000,
      }),
    }),
  ],
  providers: [Database],
  exports: [Database],
})
export class DatabaseModule {}
