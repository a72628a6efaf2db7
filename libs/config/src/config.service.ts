import { Injectable } from '@nestjs/common';
import { VisageConfig } from './config.schema';

/** The one typed view of the configuration; built once at boot by {@link ConfigModule}. */
@Injectable()
export class ConfigService {
  constructor(readonly values: VisageConfig) {}

  get<K extends keyof VisageConfig>(key: K): VisageConfig[K] {
    return this.values[key];
  }
}
