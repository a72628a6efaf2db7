import { CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/**
 * A known-faces file whose person was deleted: its content hash (never its name or path), so start-up does not
 * enrol the same file again as a new person. A changed file has another hash; clearing the tombstones
 * (`DELETE /known-faces/forgotten`) brings every forgotten file back at the next start.
 */
@Entity({ name: 'forgotten_known_faces' })
export class ForgottenKnownFaceEntity {
  /** Hex sha256 of the file content, as `person_images.content_hash`. */
  @PrimaryColumn({ name: 'content_hash', type: 'varchar', length: 64 })
  contentHash!: string;

  @CreateDateColumn({ name: 'created_at', type: 'datetime', precision: 6 })
  createdAt!: Date;
}
