import { MigrationInterface, QueryRunner } from 'typeorm';

/** Identity as a projection: faces keep their descriptor and the gallery version they were matched against. */
export class FaceIdentity1795780000000 implements MigrationInterface {
  name = 'FaceIdentity1795780000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE `faces` ADD `descriptor` blob NULL, ADD `gallery_version` int NULL, ADD `matched_at` datetime(3) NULL');
    await queryRunner.query('CREATE INDEX `idx_faces_gallery_version` ON `faces` (`gallery_version`)');
    await queryRunner.query(
      'CREATE TABLE `gallery_state` (`id` int NOT NULL, `version` int NOT NULL DEFAULT 0, `changes_from` int NOT NULL DEFAULT 0, PRIMARY KEY (`id`)) ENGINE=InnoDB',
    );
    // Enrolments made before this migration are version 1; changes are logged from then on.
    await queryRunner.query('INSERT INTO `gallery_state` (`id`, `version`, `changes_from`) VALUES (1, 1, 1)');
    await queryRunner.query(
      'CREATE TABLE `gallery_changes` (`id` int NOT NULL AUTO_INCREMENT, `version` int NOT NULL, `person_image_id` int NOT NULL, `person_id` int NOT NULL, `descriptor` blob NOT NULL, `removed` tinyint NOT NULL, INDEX `idx_gallery_changes_version` (`version`), PRIMARY KEY (`id`)) ENGINE=InnoDB',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE `gallery_changes`');
    await queryRunner.query('DROP TABLE `gallery_state`');
    await queryRunner.query('DROP INDEX `idx_faces_gallery_version` ON `faces`');
    await queryRunner.query('ALTER TABLE `faces` DROP COLUMN `matched_at`, DROP COLUMN `gallery_version`, DROP COLUMN `descriptor`');
  }
}
