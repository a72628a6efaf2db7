import { MigrationInterface, QueryRunner } from 'typeorm';

/** Security and privacy: API keys (hashes only) and the audit log. */
export class Security1795820000000 implements MigrationInterface {
  name = 'Security1795820000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE `api_keys` (`id` int NOT NULL AUTO_INCREMENT, `name` varchar(100) NOT NULL, `scope` varchar(16) NOT NULL, `key_hash` varchar(64) NOT NULL, `created_at` datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6), `last_used_at` datetime(6) NULL, `revoked_at` datetime(6) NULL, UNIQUE INDEX `uq_api_keys_hash` (`key_hash`), PRIMARY KEY (`id`)) ENGINE=InnoDB',
    );
    await queryRunner.query(
      'CREATE TABLE `audit_events` (`id` int NOT NULL AUTO_INCREMENT, `created_at` datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6), `actor` varchar(64) NOT NULL, `action` varchar(64) NOT NULL, `target` varchar(64) NOT NULL, `details` text NULL, PRIMARY KEY (`id`)) ENGINE=InnoDB',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE `audit_events`');
    await queryRunner.query('DROP TABLE `api_keys`');
  }
}
