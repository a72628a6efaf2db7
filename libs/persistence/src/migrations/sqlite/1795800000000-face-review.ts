import { MigrationInterface, QueryRunner } from 'typeorm';

/** Face review: "Not <name>" rejections the matcher honours for one face; groups of unknown faces. */
export class FaceReview1795800000000 implements MigrationInterface {
  name = 'FaceReview1795800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "face_rejections" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "face_id" integer NOT NULL, "person_id" integer NOT NULL, "created_at" datetime(6) NOT NULL DEFAULT (datetime('now')), CONSTRAINT "fk_face_rejections_face" FOREIGN KEY ("face_id") REFERENCES "faces" ("id") ON DELETE CASCADE ON UPDATE NO ACTION, CONSTRAINT "fk_face_rejections_person" FOREIGN KEY ("person_id") REFERENCES "persons" ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`,
    );
    await queryRunner.query(`CREATE INDEX "idx_face_rejections_person" ON "face_rejections" ("person_id") `);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_face_rejections_face_person" ON "face_rejections" ("face_id", "person_id") `);
    await queryRunner.query(
      `CREATE TABLE "face_clusters" ("id" integer PRIMARY KEY NOT NULL, "size" integer NOT NULL DEFAULT (0), "centroid" blob NOT NULL, "ignored" boolean NOT NULL DEFAULT (0), "dirty" boolean NOT NULL DEFAULT (0), "created_at" datetime(6) NOT NULL DEFAULT (datetime('now')), "updated_at" datetime(6) NOT NULL DEFAULT (datetime('now')))`,
    );
    await queryRunner.query(`CREATE INDEX "idx_face_clusters_listing" ON "face_clusters" ("ignored", "size", "id") `);
    await queryRunner.query(
      `CREATE TABLE "cluster_members" ("face_id" integer PRIMARY KEY NOT NULL, "cluster_id" integer, CONSTRAINT "fk_cluster_members_face" FOREIGN KEY ("face_id") REFERENCES "faces" ("id") ON DELETE CASCADE ON UPDATE NO ACTION, CONSTRAINT "fk_cluster_members_cluster" FOREIGN KEY ("cluster_id") REFERENCES "face_clusters" ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`,
    );
    await queryRunner.query(`CREATE INDEX "idx_cluster_members_cluster" ON "cluster_members" ("cluster_id", "face_id") `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "idx_cluster_members_cluster"`);
    await queryRunner.query(`DROP TABLE "cluster_members"`);
    await queryRunner.query(`DROP INDEX "idx_face_clusters_listing"`);
    await queryRunner.query(`DROP TABLE "face_clusters"`);
    await queryRunner.query(`DROP INDEX "uq_face_rejections_face_person"`);
    await queryRunner.query(`DROP INDEX "idx_face_rejections_person"`);
    await queryRunner.query(`DROP TABLE "face_rejections"`);
  }
}
