import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import { FaceEntity } from './face.entity';

/**
 * A group of unknown faces that look like one person (a candidate person for the review). Its id is the id of
 * the face that started it, so the clustering job can create groups and their members in one transaction.
 */
@Entity({ name: 'face_clusters' })
// "Unknown people", largest first, keyset-paginated, ignored groups left out: one index range.
@Index('idx_face_clusters_listing', ['ignored', 'size', 'id'])
export class FaceClusterEntity {
  @PrimaryColumn({ type: 'int' })
  id!: number;

  /** Faces in the group. */
  @Column({ type: 'int', default: 0 })
  size!: number;

  /** Mean of the members' descriptors: 128 little-endian float32 (512 bytes). */
  @Column({ type: 'blob' })
  centroid!: Buffer;

  /** "Not a person of interest": never listed, and faces near it join it instead of forming a new group. */
  @Column({ type: 'boolean', default: false })
  ignored!: boolean;

  /** A member was removed by the review: the job recomputes the centroid from the members. */
  @Column({ type: 'boolean', default: false })
  dirty!: boolean;

  @CreateDateColumn({ name: 'created_at', type: 'datetime', precision: 6 })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'datetime', precision: 6 })
  updatedAt!: Date;
}

/**
 * A face the clustering job has looked at, and its group. `cluster_id` null: removed from its group by the
 * review ("Not the same person"), and left alone from then on.
 */
@Entity({ name: 'cluster_members' })
@Index('idx_cluster_members_cluster', ['clusterId', 'faceId'])
export class ClusterMemberEntity {
  @PrimaryColumn({ name: 'face_id', type: 'int' })
  faceId!: number;

  @ManyToOne(() => FaceEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'face_id', foreignKeyConstraintName: 'fk_cluster_members_face' })
  face?: FaceEntity;

  @Column({ name: 'cluster_id', type: 'int', nullable: true })
  clusterId!: number | null;

  @ManyToOne(() => FaceClusterEntity, { onDelete: 'CASCADE', nullable: true })
  @JoinColumn({ name: 'cluster_id', foreignKeyConstraintName: 'fk_cluster_members_cluster' })
  cluster?: FaceClusterEntity | null;
}
