import { DescriptorRecipe } from '@visage/domain';
import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { PersonEntity } from './person.entity';

/** One enrolled (known) face of a person. */
@Entity({ name: 'person_images' })
@Index('uq_person_images_source', ['sourceName'], { unique: true })
export class PersonImageEntity {
  @PrimaryGeneratedColumn()
  id!: number;

  @Index('idx_person_images_person')
  @Column({ name: 'person_id', type: 'int' })
  personId!: number;

  @ManyToOne(() => PersonEntity, (person) => person.images, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'person_id', foreignKeyConstraintName: 'fk_person_images_person' })
  person?: PersonEntity;

  /** File name (known-faces folder) or path (enrolment API) the face came from. */
  @Column({ name: 'source_name', type: 'varchar', length: 768 })
  sourceName!: string;

  /** sha256 of the file content, so unchanged files are not enrolled again (varchar: SQLite has no char). */
  @Column({ name: 'content_hash', type: 'varchar', length: 64 })
  contentHash!: string;

  /** 128 little-endian float32 values (512 bytes). */
  @Column({ type: 'blob' })
  descriptor!: Buffer;

  /** How the descriptor was computed (`mobilefacenet`, `chip-flip`, `crop`): only descriptors of one recipe are ever compared. */
  @Column({ name: 'descriptor_recipe', type: 'varchar', length: 16, default: 'crop' })
  descriptorRecipe!: DescriptorRecipe;

  /** Why the re-description job could not give this row the configured recipe (image gone, unreadable); null: none. */
  @Column({ name: 'redescription_error', type: 'varchar', length: 255, nullable: true })
  redescriptionError!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'datetime', precision: 6 })
  createdAt!: Date;
}
