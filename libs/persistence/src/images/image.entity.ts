import { Column, CreateDateColumn, Entity, Index, OneToMany, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { ImageStatus } from '@visage/domain';
import { FaceEntity } from './face.entity';

// Dashboard live updates poll "rows changed since T" (updated_at range), newest-first.
@Index('idx_images_updated', ['updatedAt', 'id'])
@Entity({ name: 'images' })
@Index('idx_images_status_updated', ['status', 'updatedAt', 'id'])
@Index('idx_images_created', ['createdAt', 'id'])
// Keyset pagination of `GET /images?status=` walks ids newest-first inside one status.
@Index('idx_images_status_id', ['status', 'id'])
export class ImageEntity {
  @PrimaryGeneratedColumn()
  id!: number;

  /** Path relative to IMAGES_ROOT, as resolved at ingest; unique so the same file is queued once. */
  @Index('uq_images_path', { unique: true })
  @Column({ type: 'varchar', length: 768 })
  path!: string;

  @Column({ type: 'varchar', length: 16, default: 'pending' })
  status!: ImageStatus;

  /** Processing attempts that ended in an error (breaker deferrals do not count). */
  @Column({ type: 'int', default: 0 })
  attempts!: number;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError!: string | null;

  /** When the consumer holding the image (`claimed_by`) took it. */
  @Column({ name: 'claimed_at', type: 'datetime', precision: 3, nullable: true })
  claimedAt!: Date | null;

  /** The claim is a lease: renewed by its holder's heartbeat; once past, another consumer may take the image. */
  @Column({ name: 'lease_expires_at', type: 'datetime', precision: 3, nullable: true })
  leaseExpiresAt!: Date | null;

  /** Set while `retrying`: when the next automatic attempt is due. */
  @Column({ name: 'next_attempt_at', type: 'datetime', precision: 3, nullable: true })
  nextAttemptAt!: Date | null;

  @Column({ name: 'claimed_by', type: 'varchar', length: 64, nullable: true })
  claimedBy!: string | null;

  /** True when the last failure is permanent (invalid file): the retry job leaves it alone. */
  @Column({ name: 'permanent_failure', type: 'boolean', default: false })
  permanentFailure!: boolean;

  /** `X-Request-Id` of the submission (client's or generated), to find the image's log lines in every app. */
  @Column({ name: 'request_id', type: 'varchar', length: 128, nullable: true })
  requestId!: string | null;

  @Column({ type: 'int', nullable: true })
  width!: number | null;

  @Column({ type: 'int', nullable: true })
  height!: number | null;

  @CreateDateColumn({ name: 'created_at', type: 'datetime', precision: 6 })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'datetime', precision: 6 })
  updatedAt!: Date;

  @OneToMany(() => FaceEntity, (face) => face.image)
  faces?: FaceEntity[];
}
