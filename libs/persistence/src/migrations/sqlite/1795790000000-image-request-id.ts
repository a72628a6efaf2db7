import { MigrationInterface, QueryRunner } from 'typeorm';

/** The request id an image was submitted with (`X-Request-Id`), to find its log lines in every app. */
export class ImageRequestId1795790000000 implements MigrationInterface {
  name = 'ImageRequestId1795790000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "images" ADD COLUMN "request_id" varchar(128)');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "images" DROP COLUMN "request_id"');
  }
}
