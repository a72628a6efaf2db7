import { MigrationInterface, QueryRunner } from 'typeorm';

/** Outcome events: the outbox written with each outcome, its face snapshots, and the pending webhook deliveries. */
export class OutcomeEvents1795810000000 implements MigrationInterface {
  name = 'OutcomeEvents1795810000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE `outcome_events` (`id` int NOT NULL AUTO_INCREMENT, `event_id` varchar(36) NOT NULL, `batch_id` varchar(36) NOT NULL, `image_id` int NOT NULL, `path` varchar(768) NOT NULL, `status` varchar(16) NOT NULL, `gallery_version` int NOT NULL, `created_at` datetime(3) NOT NULL, `published_at` datetime(3) NULL, UNIQUE INDEX `uq_outcome_events_event_id` (`event_id`), INDEX `idx_outcome_events_batch` (`batch_id`), INDEX `idx_outcome_events_published` (`published_at`, `id`), PRIMARY KEY (`id`)) ENGINE=InnoDB',
    );
    await queryRunner.query(
      'CREATE TABLE `outcome_event_faces` (`id` int NOT NULL AUTO_INCREMENT, `event_row_id` int NOT NULL, `face_id` int NOT NULL, `person_id` int NULL, `person_name` varchar(255) NULL, `distance` float NULL, `box_x` float NOT NULL, `box_y` float NOT NULL, `box_width` float NOT NULL, `box_height` float NOT NULL, INDEX `idx_outcome_event_faces_event` (`event_row_id`), PRIMARY KEY (`id`)) ENGINE=InnoDB',
    );
    await queryRunner.query(
      "CREATE TABLE `webhook_deliveries` (`id` int NOT NULL AUTO_INCREMENT, `event_row_id` int NOT NULL, `endpoint` varchar(512) NOT NULL, `attempts` int NOT NULL DEFAULT '0', `next_attempt_at` datetime(3) NOT NULL, `last_error` varchar(500) NULL, INDEX `idx_webhook_deliveries_event` (`event_row_id`), INDEX `idx_webhook_deliveries_due` (`endpoint`, `next_attempt_at`), PRIMARY KEY (`id`)) ENGINE=InnoDB",
    );
    await queryRunner.query(
      'ALTER TABLE `outcome_event_faces` ADD CONSTRAINT `fk_outcome_event_faces_event` FOREIGN KEY (`event_row_id`) REFERENCES `outcome_events`(`id`) ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE `webhook_deliveries` ADD CONSTRAINT `fk_webhook_deliveries_event` FOREIGN KEY (`event_row_id`) REFERENCES `outcome_events`(`id`) ON DELETE CASCADE ON UPDATE NO ACTION',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE `webhook_deliveries`');
    await queryRunner.query('DROP TABLE `outcome_event_faces`');
    await queryRunner.query('DROP TABLE `outcome_events`');
  }
}
