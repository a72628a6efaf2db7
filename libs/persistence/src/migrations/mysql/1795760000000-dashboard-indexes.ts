import { MigrationInterface, QueryRunner } from 'typeorm';

/** Indexes for the dashboard: the live "changed since T" poll and a person's recognised images. */
export class DashboardIndexes1795760000000 implements MigrationInterface {
  name = 'DashboardIndexes1795760000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('CREATE INDEX `idx_images_updated` ON `images` (`updated_at`, `id`)');
    await queryRunner.query('CREATE INDEX `idx_faces_person_image` ON `faces` (`person_id`, `image_id`)');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX `idx_faces_person_image` ON `faces`');
    await queryRunner.query('DROP INDEX `idx_images_updated` ON `images`');
  }
}
