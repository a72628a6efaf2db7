import { MigrationInterface, QueryRunner } from 'typeorm';
import { fillPersonNameKeys } from '../person-name-duplicates';

/**
 * Person names unique ignoring case: `name_key` (see `personNameKey`) under a unique index replaces the unique
 * index on `name`. Existing names differing only in case are renamed, not merged ({@link fillPersonNameKeys}).
 * SQLite cannot make an added column NOT NULL, so the table is rebuilt (TypeORM turns foreign keys off while
 * migrating, so dropping the old table cascades nothing); the AUTOINCREMENT counter is carried over, so the ids
 * of deleted persons are never handed out again.
 */
export class PersonNameKey1795870000000 implements MigrationInterface {
  name = 'PersonNameKey1795870000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "persons" ADD COLUMN "name_key" varchar(64)`);
    await fillPersonNameKeys(queryRunner, (identifier) => `"${identifier}"`);
    await this.rebuild(queryRunner, `"name_key" varchar(64) NOT NULL`, `"name_key"`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_persons_name_key" ON "persons" ("name_key") `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "uq_persons_name_key"`);
    await this.rebuild(queryRunner, undefined, undefined);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_persons_name" ON "persons" ("name") `);
  }

  private async rebuild(queryRunner: QueryRunner, keyColumn: string | undefined, keySelect: string | undefined): Promise<void> {
    const [sequence]: Array<{ seq: number } | undefined> = await queryRunner.query(`SELECT seq FROM sqlite_sequence WHERE name = 'persons'`);
    await queryRunner.query(
      `CREATE TABLE "temporary_persons" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "name" varchar(255) NOT NULL, "created_at" datetime(6) NOT NULL DEFAULT (datetime('now'))${keyColumn ? `, ${keyColumn}` : ''})`,
    );
    const columns = `"id", "name", "created_at"${keySelect ? `, ${keySelect}` : ''}`;
    await queryRunner.query(`INSERT INTO "temporary_persons" (${columns}) SELECT ${columns} FROM "persons"`);
    await queryRunner.query(`DROP TABLE "persons"`);
    await queryRunner.query(`ALTER TABLE "temporary_persons" RENAME TO "persons"`);
    if (sequence) await queryRunner.query(`UPDATE sqlite_sequence SET seq = ? WHERE name = 'persons'`, [sequence.seq]);
  }
}
