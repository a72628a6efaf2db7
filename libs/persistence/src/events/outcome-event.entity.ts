import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { BoxColumns } from '../shared/box-columns';

/**
 * Outbox of the events published on `image.outcomes`: an image's outcome, written in the same transaction as the
 * outcome or identity change it describes (a snapshot of the image then), or an erasure (`person.deleted`,
 * `image.deleted`: ids only, written with the deletion); the relay publishes it and stamps `published_at`. No
 * foreign key to the image or the person: the event outlives what it describes.
 */
@Entity({ name: 'outcome_events' })
// The relay reads the unpublished rows in id order.
@Index('idx_outcome_events_published', ['publishedAt', 'id'])
export class OutcomeEventEntity {
  @PrimaryGeneratedColumn()
  id!: number;

  /** Stable id consumers drop duplicates by (a UUID made in the writing transaction). */
  @Index('uq_outcome_events_event_id', { unique: true })
  @Column({ name: 'event_id', type: 'varchar', length: 36 })
  eventId!: string;

  /** Token of the writing transaction: links its events to their face snapshots. */
  @Index('idx_outcome_events_batch')
  @Column({ name: 'batch_id', type: 'varchar', length: 36 })
  batchId!: string;

  /** `image.outcome`, `person.deleted` or `image.deleted` (`EventType`). */
  @Column({ name: 'event_type', type: 'varchar', length: 32, default: 'image.outcome' })
  eventType!: string;

  /** The image of an outcome or of `image.deleted`. */
  @Column({ name: 'image_id', type: 'int', nullable: true })
  imageId!: number | null;

  /** The person of `person.deleted`. */
  @Column({ name: 'person_id', type: 'int', nullable: true })
  personId!: number | null;

  /** An outcome's path, status and gallery version; null for an erasure, which carries ids only. */
  @Column({ type: 'varchar', length: 768, nullable: true })
  path!: string | null;

  @Column({ type: 'varchar', length: 16, nullable: true })
  status!: string | null;

  @Column({ name: 'gallery_version', type: 'int', nullable: true })
  galleryVersion!: number | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt!: Date;

  @Column({ name: 'published_at', type: 'datetime', precision: 3, nullable: true })
  publishedAt!: Date | null;
}

/** A face of an outcome event, as it was when the event was written. */
@Entity({ name: 'outcome_event_faces' })
export class OutcomeEventFaceEntity {
  @PrimaryGeneratedColumn()
  id!: number;

  @Index('idx_outcome_event_faces_event')
  @Column({ name: 'event_row_id', type: 'int' })
  eventRowId!: number;

  @ManyToOne(() => OutcomeEventEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'event_row_id', foreignKeyConstraintName: 'fk_outcome_event_faces_event' })
  event?: OutcomeEventEntity;

  @Column({ name: 'face_id', type: 'int' })
  faceId!: number;

  @Column({ name: 'person_id', type: 'int', nullable: true })
  personId!: number | null;

  @Column({ name: 'person_name', type: 'varchar', length: 255, nullable: true })
  personName!: string | null;

  @Column({ type: 'float', nullable: true })
  distance!: number | null;

  /** Where the face is in its image (`box_x`, `box_y`, `box_width`, `box_height`). */
  @Column(() => BoxColumns, { prefix: false })
  box!: BoxColumns;
}

/** A published event still to be POSTed to one webhook endpoint (deleted once delivered or given up). */
@Entity({ name: 'webhook_deliveries' })
// Each endpoint's due deliveries, oldest due first: a dead endpoint never holds up another one.
@Index('idx_webhook_deliveries_due', ['endpoint', 'nextAttemptAt'])
export class WebhookDeliveryEntity {
  @PrimaryGeneratedColumn()
  id!: number;

  @Index('idx_webhook_deliveries_event')
  @Column({ name: 'event_row_id', type: 'int' })
  eventRowId!: number;

  @ManyToOne(() => OutcomeEventEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'event_row_id', foreignKeyConstraintName: 'fk_webhook_deliveries_event' })
  event?: OutcomeEventEntity;

  /** One of WEBHOOK_URLS. */
  @Column({ type: 'varchar', length: 512 })
  endpoint!: string;

  /** Failed attempts so far. */
  @Column({ type: 'int', default: 0 })
  attempts!: number;

  @Column({ name: 'next_attempt_at', type: 'datetime', precision: 3 })
  nextAttemptAt!: Date;

  @Column({ name: 'last_error', type: 'varchar', length: 500, nullable: true })
  lastError!: string | null;
}
