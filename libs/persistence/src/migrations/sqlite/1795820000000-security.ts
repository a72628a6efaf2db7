import { MigrationInterface, QueryRunner } from 'typeorm';

/** Security and privacy: API keys (hashes only) and the audit log. */
export class Security1795820000000 implements MigrationInterface {
  name = 'Security1795820000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "api_keys" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "name" varchar(100) NOT NULL, "scope" varchar(16) NOT NULL, "key_hash" varchar(64) NOT NULL, "created_at" datetime(6) NOT NULL DEFAULT (datetime('now')), "last_used_at" datetime(6), "revoked_at" datetime(6))`,
    );
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_api_keys_hash" ON "api_keys" ("key_hash") `);
    await queryRunner.query(
      `CREATE TABLE "audit_events" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "created_at" datetime(6) NOT NULL DEFAULT (datetime('now')), "actor" varchar(64) NOT NULL, "action" varchar(64) NOT NULL, "target" varchar(64) NOT NULL, "details" text)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "audit_events"`);
    await queryRunner.query(`DROP INDEX "uq_api_keys_hash"`);
    await queryRunner.query(`DROP TABLE "api_keys"`);
  }
}
