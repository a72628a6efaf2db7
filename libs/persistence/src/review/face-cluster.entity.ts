import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import { FaceEntity } from '../images/face.entity';

/**
 * A group of unknown faces that look like one person (a candidate person for the review). Its id is the id of
 * the face that started it, so the clustering job can create groups and their members in one transaction.
 */
@Entity({ name: 'face_clusters' })
// "Unknown people", most cohesive first, keyset-paginated, ignored groups left out: one index range.
@Index('idx_face_clusters_cohesion', ['ignored', 'cohesion', 'id'])
export class FaceClusterEntity {
  @PrimaryColumn({ type: 'int' })
  id!: number;

  /** Faces in the group. */
  @Column({ type: 'int', default: 0 })
  size!: number;

  /** Mean of the members' descriptors: DESCRIPTOR_LENGTH little-endian float32 (descriptor-codec.ts). */
  @Column({ type: 'blob' })
  centroid!: Buffer;

  /** "Not a person of interest": never listed, and faces near it join it instead of forming a new group. */
  @Column({ type: 'boolean', default: false })
  ignored!: boolean;

  /** A member was removed by the review: the job recomputes the centroid from the members. */
  @Column({ type: 'boolean', default: false })
  dirty!: boolean;

  /** Root-mean-square distance between two of its faces (lower: more alike); null for a group of one face. */
  @Column({ type: 'double', nullable: true })
  cohesion!: number | null;

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
@Index('idx_cluster_members_outlier', ['clusterId', 'outlier', 'faceId'])
export class ClusterMemberEntity {
  @PrimaryColumn({ name: 'face_id', type: 'int' })
  faceId!: number;

  @ManyToOne(() => FaceEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'face_id', foreignKeyConstraintName: 'fk_cluster_members_face' })
  face?: FaceEntity;

  @Column({ name: 'cluster_id', type: 'int', nullable: true })
  clusterId!: number | null;

  /** Its root-mean-square distance to the group's other faces is beyond CLUSTER_THRESHOLD: shown marked for the review. */
  @Column({ type: 'boolean', default: false })
  outlier!: boolean;

  @ManyToOne(() => FaceClusterEntity, { onDelete: 'CASCADE', nullable: true })
  @JoinColumn({ name: 'cluster_id', foreignKeyConstraintName: 'fk_cluster_members_cluster' })
  cluster?: FaceClusterEntity | null;
}

/**
 * A cannot-link the review made: the face was split off the group ("Not the same person"), so it never joins the
 * group again and the group never merges with the group the face is in. Follows the group through merges.
 */
@Entity({ name: 'cluster_exclusions' })
@Index('idx_cluster_exclusions_cluster', ['clusterId'])
export class ClusterExclusionEntity {
  @PrimaryColumn({ name: 'face_id', type: 'int' })
  faceId!: number;

  @PrimaryColumn({ name: 'cluster_id', type: 'int' })
  clusterId!: number;

  @ManyToOne(() => FaceEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'face_id', foreignKeyConstraintName: 'fk_cluster_exclusions_face' })
  face?: FaceEntity;

  @ManyToOne(() => FaceClusterEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'cluster_id', foreignKeyConstraintName: 'fk_cluster_exclusions_cluster' })
  cluster?: FaceClusterEntity;
}

/** The rule the groups were made with (`average-linkage@<CLUSTER_THRESHOLD>`): another one makes the job regroup once. One row, id 1. */
@Entity({ name: 'clustering_state' })
export class ClusteringStateEntity {
  @PrimaryColumn({ type: 'int' })
  id!: number;

  @Column({ type: 'varchar', length: 64 })
  rule!: string;
}
