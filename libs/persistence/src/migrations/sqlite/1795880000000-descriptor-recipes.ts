import { MigrationInterface, QueryRunner } from 'typeorm';

const RECIPE = `"descriptor_recipe" varchar(16) NOT NULL DEFAULT ('crop')`;
const ERROR = `"redescription_error" varchar(255)`;

/**
 * Descriptor recipes (issue #22): every stored descriptor says how it was computed (`crop`, `chip-flip`), so the
 * gallery, the matcher and the grouping compare only descriptors of the configured recipe; every descriptor stored
 * before is face-api's crop. `redescription_error`: why the re-description job could not move a row to the
 * configured recipe (its image gone or unreadable), so it is not tried again and the operator sees it.
 */
export class DescriptorRecipes1795880000000 implements MigrationInterface {
  name = 'DescriptorRecipes1795880000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "faces" ADD COLUMN ${RECIPE}`);
    await queryRunner.query(`ALTER TABLE "faces" ADD COLUMN ${ERROR}`);
    await queryRunner.query(`CREATE INDEX "idx_faces_descriptor_recipe" ON "faces" ("descriptor_recipe", "id") `);
    await queryRunner.query(`ALTER TABLE "person_images" ADD COLUMN ${RECIPE}`);
    await queryRunner.query(`ALTER TABLE "person_images" ADD COLUMN ${ERROR}`);
    await queryRunner.query(`ALTER TABLE "gallery_changes" ADD COLUMN ${RECIPE}`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // SQLite ≥ 3.35 drops columns in place (the index goes first).
    await queryRunner.query(`ALTER TABLE "gallery_changes" DROP COLUMN "descriptor_recipe"`);
    await queryRunner.query(`ALTER TABLE "person_images" DROP COLUMN "redescription_error"`);
    await queryRunner.query(`ALTER TABLE "person_images" DROP COLUMN "descriptor_recipe"`);
    await queryRunner.query(`DROP INDEX "idx_faces_descriptor_recipe"`);
    await queryRunner.query(`ALTER TABLE "faces" DROP COLUMN "redescription_error"`);
    await queryRunner.query(`ALTER TABLE "faces" DROP COLUMN "descriptor_recipe"`);
  }
}
