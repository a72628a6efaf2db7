import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * SQLite's stand-in for MySQL's named locks (`LockRepository.tryLock`): one lease row per lock name.
 * `IF NOT EXISTS`: earlier versions created this table at run time, so existing files may have it.
 */
export class LockLeases1795770000000 implements MigrationInterface {
  name = 'LockLeases1795770000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE IF NOT EXISTS "visage_job_leases" ("name" text PRIMARY KEY, "holder" text NOT NULL, "expires_at" integer NOT NULL)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "visage_job_leases"`);
  }
}
