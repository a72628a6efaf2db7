import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Security round 2: server-side dashboard sessions (logout, revoking the key or an admin ends them, cookie copies
 * included) and the tombstones of forgotten known faces (content hashes start-up no longer enrols).
 */
export class SecurityRound21795860000000 implements MigrationInterface {
  name = 'SecurityRound21795860000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "dashboard_sessions" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "token_hash" varchar(64) NOT NULL, "key_id" integer NOT NULL, "created_at" datetime(6) NOT NULL DEFAULT (datetime('now')), "last_seen_at" datetime(6) NOT NULL, "expires_at" datetime(6) NOT NULL, "user_agent" varchar(255), CONSTRAINT "fk_dashboard_sessions_key" FOREIGN KEY ("key_id") REFERENCES "api_keys" ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`,
    );
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_dashboard_sessions_token" ON "dashboard_sessions" ("token_hash") `);
    await queryRunner.query(`CREATE INDEX "idx_dashboard_sessions_key" ON "dashboard_sessions" ("key_id") `);
    await queryRunner.query(
      `CREATE TABLE "forgotten_known_faces" ("content_hash" varchar(64) PRIMARY KEY NOT NULL, "created_at" datetime(6) NOT NULL DEFAULT (datetime('now')))`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "forgotten_known_faces"`);
    await queryRunner.query(`DROP INDEX "idx_dashboard_sessions_key"`);
    await queryRunner.query(`DROP INDEX "uq_dashboard_sessions_token"`);
    await queryRunner.query(`DROP TABLE "dashboard_sessions"`);
  }
}
