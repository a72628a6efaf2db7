import { DescriptorRecipe } from '@visage/domain';
import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { ImageEntity } from './image.entity';
import { PersonEntity } from '../people/person.entity';
import { BoxColumns } from '../shared/box-columns';

/** One face detected in an image, with the person it matched (or none). */
// Dashboard: a person's recognised images (newest first) and per-person counts, read from the index alone.
@Index('idx_faces_person_image', ['personId', 'imageId'])
// Re-match: "is any face matched against an older gallery?" is one index probe.
@Index('idx_faces_gallery_version', ['galleryVersion'])
// Re-description: the next faces of another recipe than the configured one, in id order.
@Index('idx_faces_descriptor_recipe', ['descriptorRecipe', 'id'])
@Entity({ name: 'faces' })
export class FaceEntity {
  @PrimaryGeneratedColumn()
  id!: number;

  @Index('idx_faces_image')
  @Column({ name: 'image_id', type: 'int' })
  imageId!: number;

  @ManyToOne(() => ImageEntity, (image) => image.faces, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'image_id', foreignKeyConstraintName: 'fk_faces_image' })
  image?: ImageEntity;

  @Index('idx_faces_person')
  @Column({ name: 'person_id', type: 'int', nullable: true })
  personId!: number | null;

  @ManyToOne(() => PersonEntity, { onDelete: 'SET NULL', nullable: true })
  @JoinColumn({ name: 'person_id', foreignKeyConstraintName: 'fk_faces_person' })
  person?: PersonEntity | null;

  /** Where the face is in its image (`box_x`, `box_y`, `box_width`, `box_height`). */
  @Column(() => BoxColumns, { prefix: false })
  box!: BoxColumns;

  @Column({ type: 'float' })
  score!: number;

  /** Euclidean distance to the nearest known descriptor (the matched person's when matched); null: no gallery. */
  @Column({ type: 'float', nullable: true })
  distance!: number | null;

  /** DESCRIPTOR_LENGTH little-endian float32 (descriptor-codec.ts), so the face can be matched again without the recognizer; null: stored before descriptors were kept. */
  @Column({ type: 'blob', nullable: true })
  descriptor!: Buffer | null;

  /** How the descriptor was computed (`mobilefacenet`, `chip-flip`, `crop`): only descriptors of one recipe are ever compared. */
  @Column({ name: 'descriptor_recipe', type: 'varchar', length: 16, default: 'crop' })
  descriptorRecipe!: DescriptorRecipe;

  /** Why the re-description job could not give this row the configured recipe (image gone, unreadable); null: none. */
  @Column({ name: 'redescription_error', type: 'varchar', length: 255, nullable: true })
  redescriptionError!: string | null;

  /** Gallery version the person (or none) was decided against; null for a face without a descriptor (never re-matched). */
  @Column({ name: 'gallery_version', type: 'int', nullable: true })
  galleryVersion!: number | null;

  /** Quality inputs the recognizer measured (null: stored before they were, or by a recognizer without them). */
  @Column({ name: 'quality_sharpness', type: 'float', nullable: true })
  qualitySharpness!: number | null;

  @Column({ name: 'quality_yaw', type: 'float', nullable: true })
  qualityYaw!: number | null;

  @Column({ name: 'quality_pitch', type: 'float', nullable: true })
  qualityPitch!: number | null;

  @Column({ name: 'quality_roll', type: 'float', nullable: true })
  qualityRoll!: number | null;

  /** The quality rule's verdict when the face was stored: never named, never enrolled. */
  @Column({ name: 'low_quality', type: 'boolean', default: false })
  lowQuality!: boolean;

  /** Comma-separated reasons (`too_small,blurred`); null when none. */
  @Column({ name: 'quality_reasons', type: 'varchar', length: 100, nullable: true })
  qualityReasons!: string | null;

  /** When the person was last decided (first match or re-match). */
  @Column({ name: 'matched_at', type: 'datetime', precision: 3, nullable: true })
  matchedAt!: Date | null;
}
