import { DynamicModule, Global, Module } from '@nestjs/common';
import { config as loadDotenv } from 'dotenv';
import { parseConfig, VisageConfig } from './config.schema';
import { ConfigService } from './config.service';

let processConfig: VisageConfig | undefined;

/** Reads `.env` (development convenience; real environment wins) and validates once per process. */
export function loadConfig(): VisageConfig {
  if (!processConfig) {
    loadDotenv({ quiet: true });
    processConfig = parseConfig(process.env);
  }
  return processConfig;
}

@Global()
@Module({})
export class ConfigModule {
  /** `config` lets tests and the embedded launcher supply a config without touching process.env. */
  static forRoot(config?: VisageConfig): DynamicModule {
    return {
      module: ConfigModule,
      providers: [{ provide: ConfigService, useFactory: () => new ConfigService(config ?? loadConfig()) }],
      exports: [ConfigService],
    };
  }
}
