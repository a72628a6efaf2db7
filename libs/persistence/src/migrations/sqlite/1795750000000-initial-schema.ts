import { MigrationInterface, QueryRunner } from 'typeorm';

/** Schema of the entities as of issue 2 (SQLite); foreign keys inline because SQLite cannot add them later. */
export class InitialSchema1795750000000 implements MigrationInterface {
  name = 'InitialSchema1795750000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "images" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "path" varchar(768) NOT NULL, "status" varchar(16) NOT NULL DEFAULT ('pending'), "attempts" integer NOT NULL DEFAULT (0), "last_error" text, "claimed_at" datetime(3), "claimed_by" varchar(64), "permanent_failure" boolean NOT NULL DEFAULT (0), "width" integer, "height" integer, "created_at" datetime(6) NOT NULL DEFAULT (datetime('now')), "updated_at" datetime(6) NOT NULL DEFAULT (datetime('now')))`,
    );
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_images_path" ON "images" ("path") `);
    await queryRunner.query(`CREATE INDEX "idx_images_status_id" ON "images" ("status", "id") `);
    await queryRunner.query(`CREATE INDEX "idx_images_created" ON "images" ("created_at", "id") `);
    await queryRunner.query(`CREATE INDEX "idx_images_status_updated" ON "images" ("status", "updated_at", "id") `);
    await queryRunner.query(
      `CREATE TABLE "persons" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "name" varchar(255) NOT NULL, "created_at" datetime(6) NOT NULL DEFAULT (datetime('now')))`,
    );
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_persons_name" ON "persons" ("name") `);
    await queryRunner.query(
      `CREATE TABLE "person_images" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "person_id" integer NOT NULL, "source_name" varchar(768) NOT NULL, "content_hash" varchar(64) NOT NULL, "descriptor" blob NOT NULL, "created_at" datetime(6) NOT NULL DEFAULT (datetime('now')), CONSTRAINT "fk_person_images_person" FOREIGN KEY ("person_id") REFERENCES "persons" ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`,
    );
    await queryRunner.query(`CREATE INDEX "idx_person_images_person" ON "person_images" ("person_id") `);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_person_images_source" ON "person_images" ("source_name") `);
    await queryRunner.query(
      `CREATE TABLE "faces" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "image_id" integer NOT NULL, "person_id" integer, "box_x" float NOT NULL, "box_y" float NOT NULL, "box_width" float NOT NULL, "box_height" float NOT NULL, "score" float NOT NULL, "distance" float, CONSTRAINT "fk_faces_image" FOREIGN KEY ("image_id") REFERENCES "images" ("id") ON DELETE CASCADE ON UPDATE NO ACTION, CONSTRAINT "fk_faces_person" FOREIGN KEY ("person_id") REFERENCES "persons" ("id") ON DELETE SET NULL ON UPDATE NO ACTION)`,
    );
    await queryRunner.query(`CREATE INDEX "idx_faces_image" ON "faces" ("image_id") `);
    await queryRunner.query(`CREATE INDEX "idx_faces_person" ON "faces" ("person_id") `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "faces"`);
    await queryRunner.query(`DROP TABLE "person_images"`);
    await queryRunner.query(`DROP TABLE "persons"`);
    await queryRunner.query(`DROP TABLE "images"`);
  }
}
