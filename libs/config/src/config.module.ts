import { DynamicModule, Global, LoggerService, LogLevel, Module } from '@nestjs/common';
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

/**
 * What every app module's `forRoot` takes (`ReceiverModule.forRoot({ config, ... })`): the parsed config, which it
 * hands to `ConfigModule.forRoot`, and the app's own options beside it. An app never loads the config itself.
 */
export interface AppModuleOptions {
  config: VisageConfig;
}

/** What every `create<App>App(config, options)` takes besides the config; an app adds its own options. */
export interface AppOptions {
  /** Nest logger; default: the process's pino logger (`appLogger`: levels up to LOG_LEVEL, LOG_FORMAT). */
  logger?: LoggerService | LogLevel[] | false;
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
