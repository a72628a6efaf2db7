import { MigrationInterface, QueryRunner } from 'typeorm';

/** Identity as a projection: faces keep their descriptor and the gallery version they were matched against. */
export class FaceIdentity1795780000000 implements MigrationInterface {
  name = 'FaceIdentity1795780000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "faces" ADD COLUMN "descriptor" blob`);
    await queryRunner.query(`ALTER TABLE "faces" ADD COLUMN "gallery_version" integer`);
    await queryRunner.query(`ALTER TABLE "faces" ADD COLUMN "matched_at" datetime(3)`);
    await queryRunner.query(`CREATE INDEX "idx_faces_gallery_version" ON "faces" ("gallery_version") `);
    await queryRunner.query(
      `CREATE TABLE "gallery_state" ("id" integer PRIMARY KEY NOT NULL, "version" integer NOT NULL DEFAULT (0), "changes_from" integer NOT NULL DEFAULT (0))`,
    );
    // Enrolments made before this migration are version 1; changes are logged from then on.
    await queryRunner.query(`INSERT INTO "gallery_state" ("id", "version", "changes_from") VALUES (1, 1, 1)`);
    await queryRunner.query(
      `CREATE TABLE "gallery_changes" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "version" integer NOT NULL, "person_image_id" integer NOT NULL, "person_id" integer NOT NULL, "descriptor" blob NOT NULL, "removed" boolean NOT NULL)`,
    );
    await queryRunner.query(`CREATE INDEX "idx_gallery_changes_version" ON "gallery_changes" ("version") `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "idx_gallery_changes_version"`);
    await queryRunner.query(`DROP TABLE "gallery_changes"`);
    await queryRunner.query(`DROP TABLE "gallery_state"`);
    await queryRunner.query(`DROP INDEX "idx_faces_gallery_version"`);
    await queryRunner.query(`ALTER TABLE "faces" DROP COLUMN "matched_at"`);
    await queryRunner.query(`ALTER TABLE "faces" DROP COLUMN "gallery_version"`);
    await queryRunner.query(`ALTER TABLE "faces" DROP COLUMN "descriptor"`);
  }
}
