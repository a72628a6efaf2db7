import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { FaceEntity } from '../images/face.entity';
import { PersonEntity } from '../people/person.entity';

/**
 * "Not <name>": this face is never given to this person again, whatever the gallery says. The matcher skips
 * the person's enrolments for the face; re-matches keep honouring it, since the row outlives the face's identity.
 */
@Entity({ name: 'face_rejections' })
@Index('uq_face_rejections_face_person', ['faceId', 'personId'], { unique: true })
export class FaceRejectionEntity {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ name: 'face_id', type: 'int' })
  faceId!: number;

  @ManyToOne(() => FaceEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'face_id', foreignKeyConstraintName: 'fk_face_rejections_face' })
  face?: FaceEntity;

  @Index('idx_face_rejections_person')
  @Column({ name: 'person_id', type: 'int' })
  personId!: number;

  @ManyToOne(() => PersonEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'person_id', foreignKeyConstraintName: 'fk_face_rejections_person' })
  person?: PersonEntity;

  @CreateDateColumn({ name: 'created_at', type: 'datetime', precision: 6 })
  createdAt!: Date;
}
