import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadConfig } from '@visage/config';
import { describeError } from '@visage/domain';
import { buildDataSourceOptions, withServerFlavor } from './data-source-options';
import { runPendingMigrations } from './schema-migrator';

/**
 * `npm run migrate` / `node dist/libs/persistence/src/migrate.js`: applies pending migrations to
 * DATABASE_URL and exits 0 (1 on failure). Run by compose/k8s before the apps start; safe to run
 * concurrently with apps that migrate at boot (they share the same lock).
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const dataSource = new DataSource(await withServerFlavor(buildDataSourceOptions(config.database)));
  await dataSource.initialize();
  try {
    const applied = await runPendingMigrations(dataSource);
    const target =
      config.database.type === 'sqlite'
        ? `sqlite:${config.database.file}`
        : `mysql://${config.database.host}:${config.database.port}/${config.database.database}`;
    console.log(
      applied.length ? `migrate: applied ${applied.map((migration) => migration.name).join(', ')} to ${target}` : `migrate: ${target} is up to date`,
    );
  } finally {
    await dataSource.destroy();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`migrate: failed: ${describeError(error)}`);
    process.exit(1);
  },
);
