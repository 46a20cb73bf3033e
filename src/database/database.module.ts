import { mkdirSync } from 'node:fs';
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from 'src/config/app-config';
import { dataSourceOptions, embeddedDataDir } from 'src/database/data-source-options';

@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => {
        const dataDir = config.isEmbeddedDatabase ? embeddedDataDir(config.DATA_DIR) : undefined;
        if (dataDir !== undefined) {
          mkdirSync(dataDir, { recursive: true });
        }
        return {
          ...dataSourceOptions(config),
          migrationsRun: config.runMigrationsAtStart,
          // Fail the boot rather than retrying for minutes: Kubernetes restarts the pod.
          retryAttempts: 2,
          retryDelay: 1_000,
        };
      },
    }),
  ],
})
export class DatabaseModule {}
