import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Schema of the entities as of issue 2 (MySQL/MariaDB). File paths and names are compared byte for byte
 * (utf8mb4_bin): with the database's default case- and accent-insensitive collation, `IMG.jpg` and
 * `img.jpg` (two files on Linux) would collide on the unique index. SQLite compares bytes by default.
 */
export class InitialSchema1795750000000 implements MigrationInterface {
  name = 'InitialSchema1795750000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      "CREATE TABLE `images` (`id` int NOT NULL AUTO_INCREMENT, `path` varchar(768) COLLATE utf8mb4_bin NOT NULL, `status` varchar(16) NOT NULL DEFAULT 'pending', `attempts` int NOT NULL DEFAULT '0', `last_error` text NULL, `claimed_at` datetime(3) NULL, `claimed_by` varchar(64) NULL, `permanent_failure` tinyint NOT NULL DEFAULT 0, `width` int NULL, `height` int NULL, `created_at` datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6), `updated_at` datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6), UNIQUE INDEX `uq_images_path` (`path`), INDEX `idx_images_status_id` (`status`, `id`), INDEX `idx_images_created` (`created_at`, `id`), INDEX `idx_images_status_updated` (`status`, `updated_at`, `id`), PRIMARY KEY (`id`)) ENGINE=InnoDB",
    );
    await queryRunner.query(
      'CREATE TABLE `persons` (`id` int NOT NULL AUTO_INCREMENT, `name` varchar(255) NOT NULL, `created_at` datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6), UNIQUE INDEX `uq_persons_name` (`name`), PRIMARY KEY (`id`)) ENGINE=InnoDB',
    );
    await queryRunner.query(
      'CREATE TABLE `person_images` (`id` int NOT NULL AUTO_INCREMENT, `person_id` int NOT NULL, `source_name` varchar(768) COLLATE utf8mb4_bin NOT NULL, `content_hash` varchar(64) NOT NULL, `descriptor` blob NOT NULL, `created_at` datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6), INDEX `idx_person_images_person` (`person_id`), UNIQUE INDEX `uq_person_images_source` (`source_name`), PRIMARY KEY (`id`)) ENGINE=InnoDB',
    );
    await queryRunner.query(
      'CREATE TABLE `faces` (`id` int NOT NULL AUTO_INCREMENT, `image_id` int NOT NULL, `person_id` int NULL, `box_x` float NOT NULL, `box_y` float NOT NULL, `box_width` float NOT NULL, `box_height` float NOT NULL, `score` float NOT NULL, `distance` float NULL, INDEX `idx_faces_image` (`image_id`), INDEX `idx_faces_person` (`person_id`), PRIMARY KEY (`id`)) ENGINE=InnoDB',
    );
    await queryRunner.query(
      'ALTER TABLE `person_images` ADD CONSTRAINT `fk_person_images_person` FOREIGN KEY (`person_id`) REFERENCES `persons`(`id`) ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE `faces` ADD CONSTRAINT `fk_faces_image` FOREIGN KEY (`image_id`) REFERENCES `images`(`id`) ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE `faces` ADD CONSTRAINT `fk_faces_person` FOREIGN KEY (`person_id`) REFERENCES `persons`(`id`) ON DELETE SET NULL ON UPDATE NO ACTION',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE `faces` DROP FOREIGN KEY `fk_faces_person`');
    await queryRunner.query('ALTER TABLE `faces` DROP FOREIGN KEY `fk_faces_image`');
    await queryRunner.query('ALTER TABLE `person_images` DROP FOREIGN KEY `fk_person_images_person`');
    await queryRunner.query('DROP TABLE `faces`');
    await queryRunner.query('DROP TABLE `person_images`');
    await queryRunner.query('DROP TABLE `persons`');
    await queryRunner.query('DROP TABLE `images`');
  }
}
