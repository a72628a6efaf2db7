import { TypeOrmHealthIndicator } from '@nestjs/terminus';
import { ReadinessCheckProvider } from '@visage/health';

/** `/health/ready` check "database": a `SELECT 1` through the app's DataSource. */
export const databaseReadiness: ReadinessCheckProvider = {
  inject: [TypeOrmHealthIndicator],
  useFactory: (database: TypeOrmHealthIndicator) => [() => database.pingCheck('database', { timeout: 2000 })],
};
