import { MigrationInterface, QueryRunner } from 'typeorm';
import { fillPersonNameKeys } from '../person-name-duplicates';

/**
 * Person names unique ignoring case: `name_key` (see `personNameKey`) under a unique index replaces the unique
 * index on `name`. Existing names differing only in case are renamed, not merged ({@link fillPersonNameKeys}).
 */
export class PersonNameKey1795870000000 implements MigrationInterface {
  name = 'PersonNameKey1795870000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE `persons` ADD `name_key` varchar(64) NULL');
    await fillPersonNameKeys(queryRunner, (identifier) => `\`${identifier}\``);
    await queryRunner.query('ALTER TABLE `persons` MODIFY `name_key` varchar(64) NOT NULL');
    await queryRunner.query('CREATE UNIQUE INDEX `uq_persons_name_key` ON `persons` (`name_key`)');
    await queryRunner.query('DROP INDEX `uq_persons_name` ON `persons`');
  }

  /** Names stay as they are (renamed ones keep their suffix): unique ignoring case, they are unique exactly too. */
  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('CREATE UNIQUE INDEX `uq_persons_name` ON `persons` (`name`)');
    await queryRunner.query('DROP INDEX `uq_persons_name_key` ON `persons`');
    await queryRunner.query('ALTER TABLE `persons` DROP COLUMN `name_key`');
  }
}
