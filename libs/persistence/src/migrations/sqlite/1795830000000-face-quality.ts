import { MigrationInterface, QueryRunner } from 'typeorm';

const COLUMNS = [
  '"quality_sharpness" float',
  '"quality_yaw" float',
  '"quality_pitch" float',
  '"quality_roll" float',
  '"low_quality" boolean NOT NULL DEFAULT (0)',
  '"quality_reasons" varchar(100)',
];

/** Face quality: what the quality rule judged (sharpness, pose) and its verdict, stored with each face. */
export class FaceQuality1795830000000 implements MigrationInterface {
  name = 'FaceQuality1795830000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const column of COLUMNS) await queryRunner.query(`ALTER TABLE "faces" ADD COLUMN ${column}`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // SQLite ≥ 3.35 drops columns in place (none of these is indexed or constrained).
    for (const column of [...COLUMNS].reverse()) await queryRunner.query(`ALTER TABLE "faces" DROP COLUMN ${column.split(' ')[0]}`);
  }
}
