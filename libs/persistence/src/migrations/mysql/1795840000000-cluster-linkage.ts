import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Unknown people grouped by average linkage (issue #22): each group's cohesion (the review page's order), outliers
 * marked among its members, the faces the review split off a group (cannot-links), and the rule the groups were
 * made with (a different rule or CLUSTER_THRESHOLD makes the clustering job regroup once).
 */
export class ClusterLinkage1795840000000 implements MigrationInterface {
  name = 'ClusterLinkage1795840000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE `face_clusters` ADD `cohesion` double NULL');
    await queryRunner.query('DROP INDEX `idx_face_clusters_listing` ON `face_clusters`');
    await queryRunner.query('CREATE INDEX `idx_face_clusters_cohesion` ON `face_clusters` (`ignored`, `cohesion`, `id`)');
    await queryRunner.query('ALTER TABLE `cluster_members` ADD `outlier` tinyint NOT NULL DEFAULT 0');
    await queryRunner.query('CREATE INDEX `idx_cluster_members_outlier` ON `cluster_members` (`cluster_id`, `outlier`, `face_id`)');
    await queryRunner.query(
      'CREATE TABLE `cluster_exclusions` (`face_id` int NOT NULL, `cluster_id` int NOT NULL, INDEX `idx_cluster_exclusions_cluster` (`cluster_id`), PRIMARY KEY (`face_id`, `cluster_id`)) ENGINE=InnoDB',
    );
    await queryRunner.query(
      'ALTER TABLE `cluster_exclusions` ADD CONSTRAINT `fk_cluster_exclusions_face` FOREIGN KEY (`face_id`) REFERENCES `faces`(`id`) ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE `cluster_exclusions` ADD CONSTRAINT `fk_cluster_exclusions_cluster` FOREIGN KEY (`cluster_id`) REFERENCES `face_clusters`(`id`) ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query('CREATE TABLE `clustering_state` (`id` int NOT NULL, `rule` varchar(64) NOT NULL, PRIMARY KEY (`id`)) ENGINE=InnoDB');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE `clustering_state`');
    await queryRunner.query('DROP TABLE `cluster_exclusions`');
    await queryRunner.query('DROP INDEX `idx_cluster_members_outlier` ON `cluster_members`');
    await queryRunner.query('ALTER TABLE `cluster_members` DROP COLUMN `outlier`');
    await queryRunner.query('DROP INDEX `idx_face_clusters_cohesion` ON `face_clusters`');
    await queryRunner.query('ALTER TABLE `face_clusters` DROP COLUMN `cohesion`');
    await queryRunner.query('CREATE INDEX `idx_face_clusters_listing` ON `face_clusters` (`ignored`, `size`, `id`)');
  }
}
