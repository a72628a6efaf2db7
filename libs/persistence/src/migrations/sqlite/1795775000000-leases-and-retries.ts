import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Claims become leases (`lease_expires_at`, renewed while the image is worked on); an image waiting for another
 * automatic attempt is `retrying` with `next_attempt_at`, so `failed` is final. Rows failed under the old rules
 * with attempts left (below the default MAX_ATTEMPTS, 5) become `retrying`, due now.
 */
export class LeasesAndRetries1795775000000 implements MigrationInterface {
  name = 'LeasesAndRetries1795775000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "images" ADD COLUMN "lease_expires_at" datetime(3)`);
    await queryRunner.query(`ALTER TABLE "images" ADD COLUMN "next_attempt_at" datetime(3)`);
    await queryRunner.query(
      `UPDATE "images" SET "status" = 'retrying', "next_attempt_at" = "updated_at" WHERE "status" = 'failed' AND "permanent_failure" = 0 AND "attempts" < 5`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`UPDATE "images" SET "status" = 'failed' WHERE "status" = 'retrying'`);
    await queryRunner.query(`ALTER TABLE "images" DROP COLUMN "next_attempt_at"`);
    await queryRunner.query(`ALTER TABLE "images" DROP COLUMN "lease_expires_at"`);
  }
}
