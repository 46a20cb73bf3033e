import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig, SETTINGS } from 'src/config/app-config';

/** Provides each feature's validated settings, its class as the token, to every module. */
@Module({})
export class ConfigModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: ConfigModule,
      global: true,
      providers: SETTINGS.map((type) => ({ provide: type, useValue: config.get<object>(type) })),
      exports: [...SETTINGS],
    };
  }
}
