import { DataSource } from 'typeorm';
import { readinessCheck } from '@visage/health';

/** `/health/ready` check "database": a `SELECT 1` through the app's DataSource. */
export const databaseReadiness = readinessCheck('database', [DataSource], async (dataSource: DataSource) => {
  await dataSource.query('SELECT 1');
  return { up: true };
});
