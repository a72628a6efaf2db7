import { MigrationInterface, QueryRunner } from 'typeorm';

/** Face quality: what the quality rule judged (sharpness, pose) and its verdict, stored with each face. */
export class FaceQuality1795830000000 implements MigrationInterface {
  name = 'FaceQuality1795830000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'ALTER TABLE `faces` ADD `quality_sharpness` float NULL, ADD `quality_yaw` float NULL, ADD `quality_pitch` float NULL, ADD `quality_roll` float NULL, ' +
        'ADD `low_quality` tinyint NOT NULL DEFAULT 0, ADD `quality_reasons` varchar(100) NULL',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'ALTER TABLE `faces` DROP COLUMN `quality_reasons`, DROP COLUMN `low_quality`, DROP COLUMN `quality_roll`, DROP COLUMN `quality_pitch`, DROP COLUMN `quality_yaw`, DROP COLUMN `quality_sharpness`',
    );
  }
}
