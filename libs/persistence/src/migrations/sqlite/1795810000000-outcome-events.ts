import { MigrationInterface, QueryRunner } from 'typeorm';

/** Outcome events: the outbox written with each outcome, its face snapshots, and the pending webhook deliveries. */
export class OutcomeEvents1795810000000 implements MigrationInterface {
  name = 'OutcomeEvents1795810000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "outcome_events" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "event_id" varchar(36) NOT NULL, "batch_id" varchar(36) NOT NULL, "image_id" integer NOT NULL, "path" varchar(768) NOT NULL, "status" varchar(16) NOT NULL, "gallery_version" integer NOT NULL, "created_at" datetime(3) NOT NULL, "published_at" datetime(3))`,
    );
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_outcome_events_event_id" ON "outcome_events" ("event_id") `);
    await queryRunner.query(`CREATE INDEX "idx_outcome_events_batch" ON "outcome_events" ("batch_id") `);
    await queryRunner.query(`CREATE INDEX "idx_outcome_events_published" ON "outcome_events" ("published_at", "id") `);
    await queryRunner.query(
      `CREATE TABLE "outcome_event_faces" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "event_row_id" integer NOT NULL, "face_id" integer NOT NULL, "person_id" integer, "person_name" varchar(255), "distance" float, "box_x" float NOT NULL, "box_y" float NOT NULL, "box_width" float NOT NULL, "box_height" float NOT NULL, CONSTRAINT "fk_outcome_event_faces_event" FOREIGN KEY ("event_row_id") REFERENCES "outcome_events" ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`,
    );
    await queryRunner.query(`CREATE INDEX "idx_outcome_event_faces_event" ON "outcome_event_faces" ("event_row_id") `);
    await queryRunner.query(
      `CREATE TABLE "webhook_deliveries" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "event_row_id" integer NOT NULL, "endpoint" varchar(512) NOT NULL, "attempts" integer NOT NULL DEFAULT (0), "next_attempt_at" datetime(3) NOT NULL, "last_error" varchar(500), CONSTRAINT "fk_webhook_deliveries_event" FOREIGN KEY ("event_row_id") REFERENCES "outcome_events" ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`,
    );
    await queryRunner.query(`CREATE INDEX "idx_webhook_deliveries_event" ON "webhook_deliveries" ("event_row_id") `);
    await queryRunner.query(`CREATE INDEX "idx_webhook_deliveries_due" ON "webhook_deliveries" ("endpoint", "next_attempt_at") `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "idx_webhook_deliveries_due"`);
    await queryRunner.query(`DROP INDEX "idx_webhook_deliveries_event"`);
    await queryRunner.query(`DROP TABLE "webhook_deliveries"`);
    await queryRunner.query(`DROP INDEX "idx_outcome_event_faces_event"`);
    await queryRunner.query(`DROP TABLE "outcome_event_faces"`);
    await queryRunner.query(`DROP INDEX "idx_outcome_events_published"`);
    await queryRunner.query(`DROP INDEX "idx_outcome_events_batch"`);
    await queryRunner.query(`DROP INDEX "uq_outcome_events_event_id"`);
    await queryRunner.query(`DROP TABLE "outcome_events"`);
  }
}
