import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Descriptor recipes (issue #22): every stored descriptor says how it was computed (`crop`, `chip-flip`), so the
 * gallery, the matcher and the grouping compare only descriptors of the configured recipe; every descriptor stored
 * before is face-api's crop. `redescription_error`: why the re-description job could not move a row to the
 * configured recipe (its image gone or unreadable), so it is not tried again and the operator sees it.
 */
export class DescriptorRecipes1795880000000 implements MigrationInterface {
  name = 'DescriptorRecipes1795880000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      "ALTER TABLE `faces` ADD `descriptor_recipe` varchar(16) NOT NULL DEFAULT 'crop', ADD `redescription_error` varchar(255) NULL, " +
        'ADD INDEX `idx_faces_descriptor_recipe` (`descriptor_recipe`, `id`)',
    );
    await queryRunner.query(
      "ALTER TABLE `person_images` ADD `descriptor_recipe` varchar(16) NOT NULL DEFAULT 'crop', ADD `redescription_error` varchar(255) NULL",
    );
    await queryRunner.query("ALTER TABLE `gallery_changes` ADD `descriptor_recipe` varchar(16) NOT NULL DEFAULT 'crop'");
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE `gallery_changes` DROP COLUMN `descriptor_recipe`');
    await queryRunner.query('ALTER TABLE `person_images` DROP COLUMN `redescription_error`, DROP COLUMN `descriptor_recipe`');
    await queryRunner.query(
      'ALTER TABLE `faces` DROP INDEX `idx_faces_descriptor_recipe`, DROP COLUMN `redescription_error`, DROP COLUMN `descriptor_recipe`',
    );
  }
}
