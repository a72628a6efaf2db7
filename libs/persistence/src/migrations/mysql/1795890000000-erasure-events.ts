import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Erasure events in the outcome-event outbox: `person.deleted` and `image.deleted` rows carry ids only, so the
 * columns of an image's outcome (image, path, status, gallery version) may be empty; `event_type` tells the kinds
 * apart, every earlier row being an outcome.
 */
export class ErasureEvents1795890000000 implements MigrationInterface {
  name = 'ErasureEvents1795890000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      "ALTER TABLE `outcome_events` ADD `event_type` varchar(32) NOT NULL DEFAULT 'image.outcome', ADD `person_id` int NULL, " +
        'MODIFY `image_id` int NULL, MODIFY `path` varchar(768) NULL, MODIFY `status` varchar(16) NULL, MODIFY `gallery_version` int NULL',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("DELETE FROM `outcome_events` WHERE `event_type` <> 'image.outcome'");
    await queryRunner.query(
      'ALTER TABLE `outcome_events` DROP COLUMN `person_id`, DROP COLUMN `event_type`, ' +
        'MODIFY `image_id` int NOT NULL, MODIFY `path` varchar(768) NOT NULL, MODIFY `status` varchar(16) NOT NULL, MODIFY `gallery_version` int NOT NULL',
    );
  }
}
