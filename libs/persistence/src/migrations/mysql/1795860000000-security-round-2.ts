import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Security round 2: server-side dashboard sessions (logout, revoking the key or an admin ends them, cookie copies
 * included) and the tombstones of forgotten known faces (content hashes start-up no longer enrols).
 */
export class SecurityRound21795860000000 implements MigrationInterface {
  name = 'SecurityRound21795860000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE `dashboard_sessions` (`id` int NOT NULL AUTO_INCREMENT, `token_hash` varchar(64) NOT NULL, `key_id` int NOT NULL, `created_at` datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6), `last_seen_at` datetime(6) NOT NULL, `expires_at` datetime(6) NOT NULL, `user_agent` varchar(255) NULL, UNIQUE INDEX `uq_dashboard_sessions_token` (`token_hash`), INDEX `idx_dashboard_sessions_key` (`key_id`), PRIMARY KEY (`id`)) ENGINE=InnoDB',
    );
    await queryRunner.query(
      'ALTER TABLE `dashboard_sessions` ADD CONSTRAINT `fk_dashboard_sessions_key` FOREIGN KEY (`key_id`) REFERENCES `api_keys`(`id`) ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'CREATE TABLE `forgotten_known_faces` (`content_hash` varchar(64) NOT NULL, `created_at` datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6), PRIMARY KEY (`content_hash`)) ENGINE=InnoDB',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE `forgotten_known_faces`');
    await queryRunner.query('ALTER TABLE `dashboard_sessions` DROP FOREIGN KEY `fk_dashboard_sessions_key`');
    await queryRunner.query('DROP TABLE `dashboard_sessions`');
  }
}
