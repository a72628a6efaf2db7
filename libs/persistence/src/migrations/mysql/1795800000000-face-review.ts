import { MigrationInterface, QueryRunner } from 'typeorm';

/** Face review: "Not <name>" rejections the matcher honours for one face; groups of unknown faces. */
export class FaceReview1795800000000 implements MigrationInterface {
  name = 'FaceReview1795800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE `face_rejections` (`id` int NOT NULL AUTO_INCREMENT, `face_id` int NOT NULL, `person_id` int NOT NULL, `created_at` datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6), INDEX `idx_face_rejections_person` (`person_id`), UNIQUE INDEX `uq_face_rejections_face_person` (`face_id`, `person_id`), PRIMARY KEY (`id`)) ENGINE=InnoDB',
    );
    await queryRunner.query(
      'ALTER TABLE `face_rejections` ADD CONSTRAINT `fk_face_rejections_face` FOREIGN KEY (`face_id`) REFERENCES `faces`(`id`) ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE `face_rejections` ADD CONSTRAINT `fk_face_rejections_person` FOREIGN KEY (`person_id`) REFERENCES `persons`(`id`) ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'CREATE TABLE `face_clusters` (`id` int NOT NULL, `size` int NOT NULL DEFAULT 0, `centroid` blob NOT NULL, `ignored` tinyint NOT NULL DEFAULT 0, `dirty` tinyint NOT NULL DEFAULT 0, `created_at` datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6), `updated_at` datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6), INDEX `idx_face_clusters_listing` (`ignored`, `size`, `id`), PRIMARY KEY (`id`)) ENGINE=InnoDB',
    );
    await queryRunner.query(
      'CREATE TABLE `cluster_members` (`face_id` int NOT NULL, `cluster_id` int NULL, INDEX `idx_cluster_members_cluster` (`cluster_id`, `face_id`), PRIMARY KEY (`face_id`)) ENGINE=InnoDB',
    );
    await queryRunner.query(
      'ALTER TABLE `cluster_members` ADD CONSTRAINT `fk_cluster_members_face` FOREIGN KEY (`face_id`) REFERENCES `faces`(`id`) ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE `cluster_members` ADD CONSTRAINT `fk_cluster_members_cluster` FOREIGN KEY (`cluster_id`) REFERENCES `face_clusters`(`id`) ON DELETE CASCADE ON UPDATE NO ACTION',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE `cluster_members`');
    await queryRunner.query('DROP TABLE `face_clusters`');
    await queryRunner.query('DROP TABLE `face_rejections`');
  }
}
