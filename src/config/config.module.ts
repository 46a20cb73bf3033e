import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig } from 'src/config/app-config';

/** Provides the validated AppConfig to every module. */
@Module({})
export class ConfigModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: ConfigModule,
      global: true,
      providers: [{ provide: AppConfig, useValue: config }],
      exports: [AppConfig],
    };
  }
}
