import { MigrationInterface, QueryRunner } from 'typeorm';

const COLUMNS = '"id", "event_id", "batch_id", "image_id", "path", "status", "gallery_version", "created_at", "published_at"';

/** Tables whose rows point at an outbox row (ON DELETE CASCADE). */
const CHILDREN = ['outcome_event_faces', 'webhook_deliveries'];

/**
 * SQLite changes a column's NOT NULL only by copying the table. Dropping the old table deletes its children by
 * cascade when foreign keys are on (TypeORM turns them off to migrate, not to revert), so they are kept aside and
 * put back, those of the rows the copy kept.
 */
async function rebuildOutcomeEvents(queryRunner: QueryRunner, definition: string, where = ''): Promise<void> {
  for (const child of CHILDREN) await queryRunner.query(`CREATE TEMPORARY TABLE "kept_${child}" AS SELECT * FROM "${child}"`);
  await queryRunner.query(`CREATE TABLE "temporary_outcome_events" (${definition})`);
  await queryRunner.query(`INSERT INTO "temporary_outcome_events" (${COLUMNS}) SELECT ${COLUMNS} FROM "outcome_events"${where}`);
  await queryRunner.query(`DROP INDEX "idx_outcome_events_published"`);
  await queryRunner.query(`DROP INDEX "idx_outcome_events_batch"`);
  await queryRunner.query(`DROP INDEX "uq_outcome_events_event_id"`);
  await queryRunner.query(`DROP TABLE "outcome_events"`);
  await queryRunner.query(`ALTER TABLE "temporary_outcome_events" RENAME TO "outcome_events"`);
  await queryRunner.query(`CREATE UNIQUE INDEX "uq_outcome_events_event_id" ON "outcome_events" ("event_id") `);
  await queryRunner.query(`CREATE INDEX "idx_outcome_events_batch" ON "outcome_events" ("batch_id") `);
  await queryRunner.query(`CREATE INDEX "idx_outcome_events_published" ON "outcome_events" ("published_at", "id") `);
  for (const child of CHILDREN) {
    await queryRunner.query(`DELETE FROM "${child}"`);
    await queryRunner.query(`INSERT INTO "${child}" SELECT * FROM "kept_${child}" WHERE "event_row_id" IN (SELECT "id" FROM "outcome_events")`);
    await queryRunner.query(`DROP TABLE "kept_${child}"`);
  }
}

/**
 * Erasure events in the outcome-event outbox: `person.deleted` and `image.deleted` rows carry ids only, so the
 * columns of an image's outcome (image, path, status, gallery version) may be empty; `event_type` tells the kinds
 * apart, every earlier row being an outcome.
 */
export class ErasureEvents1795890000000 implements MigrationInterface {
  name = 'ErasureEvents1795890000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await rebuildOutcomeEvents(
      queryRunner,
      `"id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "event_id" varchar(36) NOT NULL, "batch_id" varchar(36) NOT NULL, "event_type" varchar(32) NOT NULL DEFAULT ('image.outcome'), "image_id" integer, "person_id" integer, "path" varchar(768), "status" varchar(16), "gallery_version" integer, "created_at" datetime(3) NOT NULL, "published_at" datetime(3)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await rebuildOutcomeEvents(
      queryRunner,
      `"id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "event_id" varchar(36) NOT NULL, "batch_id" varchar(36) NOT NULL, "image_id" integer NOT NULL, "path" varchar(768) NOT NULL, "status" varchar(16) NOT NULL, "gallery_version" integer NOT NULL, "created_at" datetime(3) NOT NULL, "published_at" datetime(3)`,
      ` WHERE "event_type" = 'image.outcome'`,
    );
  }
}
