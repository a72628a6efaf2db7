import { Inject, Injectable, Optional } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { DescriptorRecipe } from '@visage/domain';
import { isMysqlFamily } from '../data-source-options';
import { ClusteringStateEntity, ClusterMemberEntity, FaceClusterEntity } from './face-cluster.entity';
import { FaceEntity } from '../images/face.entity';
import { CONFIGURED_DESCRIPTOR_RECIPE, decodeDescriptor, encodeDescriptor, UNCONFIGURED_DESCRIPTOR_RECIPE } from '../shared/descriptor-codec';
import { placeholders, runInTransaction, Statement } from '../shared/transactions';
import { COHESION_DECIMALS } from './cluster-cursor';
import { chunks, recountClusters, ROWS_PER_INSERT } from './cluster-statements';

/** A face of a stored group, as the clustering job rebuilds the group from it. */
export interface StoredMember {
  id: number;
  imageId: number;
  descriptor: Float32Array;
  outlier: boolean;
}

/** A group as the clustering job keeps it: its members, and the faces the review split off it. */
export interface StoredCluster {
  id: number;
  ignored: boolean;
  /** A member was removed outside the job (review, naming, erasure): its size and cohesion must be written again. */
  dirty: boolean;
  members: StoredMember[];
  excluded: number[];
}

export interface UnknownFace {
  id: number;
  imageId: number;
  descriptor: Float32Array;
}

/** One clustering batch, written in one transaction. */
export interface ClusteringWrite {
  /** Groups created or changed (size, centroid, cohesion; ignored only ever turns on). */
  clusters: Array<{ id: number; size: number; centroid: Float32Array; ignored: boolean; cohesion: number | null }>;
  /** Faces placed in a group. */
  members: Array<{ faceId: number; clusterId: number }>;
  /** Groups absorbed by a merge: their members and cannot-links move to the target, then they are deleted. */
  merged: Map<number, number>;
  /** Groups written again after a change outside the job (their dirty flag is cleared). */
  cleaned?: number[];
  /** Members that became outliers of their group, and members that are no longer. */
  outliers?: { marked: number[]; cleared: number[] };
}

/** The one row of `clustering_state`. */
const CLUSTERING_STATE_ID = 1;

/**
 * What the clustering job reads and writes: the stored groups with their members, the unknown faces still to
 * place, and each batch of placements and merges. A face is clustered once (a `cluster_members` row); its group
 * may change by merging. The review's side of the groups is `FaceClusterRepository`.
 */
@Injectable()
export class ClusteringRepository {
  constructor(
    private readonly dataSource: DataSource,
    /** Only faces of this recipe are compared; the others wait for the re-description job. */
    @Optional() @Inject(CONFIGURED_DESCRIPTOR_RECIPE) readonly recipe: DescriptorRecipe = UNCONFIGURED_DESCRIPTOR_RECIPE,
  ) {}

  /**
   * Every group with its members' descriptors and images and its cannot-links (the job rebuilds the groups from
   * their members), and the highest group id stored (new groups are numbered after it).
   */
  async loadClusters(): Promise<{ clusters: StoredCluster[]; maxId: number }> {
    const rows = await this.dataSource
      .getRepository(FaceClusterEntity)
      .find({ select: { id: true, ignored: true, dirty: true }, order: { id: 'ASC' } });
    const byId = new Map<number, StoredCluster>(
      rows.map((row) => [row.id, { id: row.id, ignored: Boolean(row.ignored), dirty: Boolean(row.dirty), members: [], excluded: [] }]),
    );
    const members = await this.dataSource.query<
      Array<{ clusterId: number | string; faceId: number | string; imageId: number | string; outlier: number | string | boolean; descriptor: Buffer }>
    >(
      'SELECT member.cluster_id AS clusterId, member.face_id AS faceId, member.outlier AS outlier, face.image_id AS imageId, face.descriptor AS descriptor ' +
        'FROM cluster_members member INNER JOIN faces face ON face.id = member.face_id WHERE member.cluster_id IS NOT NULL AND face.descriptor IS NOT NULL ORDER BY member.face_id',
    );
    for (const row of members) {
      byId.get(Number(row.clusterId))?.members.push({
        id: Number(row.faceId),
        imageId: Number(row.imageId),
        descriptor: decodeDescriptor(row.descriptor),
        outlier: Boolean(Number(row.outlier)),
      });
    }
    const exclusions = await this.dataSource.query<Array<{ faceId: number | string; clusterId: number | string }>>(
      'SELECT face_id AS faceId, cluster_id AS clusterId FROM cluster_exclusions',
    );
    for (const row of exclusions) byId.get(Number(row.clusterId))?.excluded.push(Number(row.faceId));
    return { clusters: [...byId.values()], maxId: rows.reduce((max, row) => Math.max(max, row.id), 0) };
  }

  /** The rule the stored groups were made with (see {@link regroup}), or undefined before the first. */
  async clusteringRule(): Promise<string | undefined> {
    return (await this.dataSource.getRepository(ClusteringStateEntity).findOneBy({ id: CLUSTERING_STATE_ID }))?.rule;
  }

  /**
   * Starts the groups again under a new rule (another grouping rule or CLUSTER_THRESHOLD): every group that is not
   * ignored is deleted with its members and cannot-links, so the job groups those faces afresh; ignored groups
   * (the review's decisions) and faces left alone stay. One transaction with the new rule.
   */
  async regroup(rule: string): Promise<void> {
    const mysql = isMysqlFamily(this.dataSource.options);
    await runInTransaction(this.dataSource, [
      ['DELETE FROM cluster_members WHERE cluster_id IN (SELECT id FROM face_clusters WHERE ignored = 0)', []],
      ['DELETE FROM face_clusters WHERE ignored = 0', []],
      [
        mysql
          ? 'INSERT INTO clustering_state (id, rule) VALUES (?, ?) ON DUPLICATE KEY UPDATE rule = VALUES(rule)'
          : 'INSERT INTO clustering_state (id, rule) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET rule = excluded.rule',
        [CLUSTERING_STATE_ID, rule],
      ],
    ]);
  }

  /**
   * A cheap summary of every group (count, sizes, ignored and dirty flags): any change made outside the job
   * that holds the groups in memory (the review, another replica's run) changes it, so an equal fingerprint
   * means the copy in memory is still right.
   */
  async fingerprint(): Promise<string> {
    const row = await this.dataSource
      .getRepository(FaceClusterEntity)
      .createQueryBuilder('cluster')
      .select('COUNT(*)', 'count')
      .addSelect('COALESCE(SUM(cluster.size), 0)', 'sizes')
      .addSelect('COALESCE(SUM(cluster.size * cluster.id), 0)', 'weighted')
      .addSelect('COALESCE(SUM(CASE WHEN cluster.ignored THEN cluster.id ELSE 0 END), 0)', 'ignored')
      .addSelect('COALESCE(SUM(CASE WHEN cluster.dirty THEN 1 ELSE 0 END), 0)', 'dirty')
      .getRawOne<Record<string, number | string>>();
    return ['count', 'sizes', 'weighted', 'ignored', 'dirty'].map((key) => String(Number(row?.[key] ?? 0))).join(':');
  }

  /** The newest face the job has looked at (faces are clustered in id order): newer unknown faces are new. */
  async clusteredUpTo(): Promise<number> {
    const row = await this.dataSource
      .getRepository(ClusterMemberEntity)
      .createQueryBuilder('member')
      .select('MAX(member.face_id)', 'max')
      .getRawOne<{ max: number | string | null }>();
    return Number(row?.max ?? 0);
  }

  /**
   * Unknown faces with a descriptor and at least `minSize` pixels a side after face `afterId`, in id order (new
   * faces: one primary-key range).
   */
  unknownFacesAfter(afterId: number, limit: number, minSize: number): Promise<UnknownFace[]> {
    return this.unknownFaces(afterId, limit, minSize, false);
  }

  /**
   * Unknown faces no group has looked at, after face `afterId`: faces that became unknown after they were named
   * (a re-match, "Not <name>", a deleted person) and faces split off a group. A scan of every unknown face: the
   * job runs it now and then.
   */
  unclusteredUnknownFaces(afterId: number, limit: number, minSize: number): Promise<UnknownFace[]> {
    return this.unknownFaces(afterId, limit, minSize, true);
  }

  /**
   * Takes faces that are named now (assigned, re-matched) out of their groups and marks those groups dirty;
   * returns how many faces left.
   */
  async pruneNamedFaces(): Promise<number> {
    const rows = await this.dataSource
      .getRepository(ClusterMemberEntity)
      .createQueryBuilder('member')
      .innerJoin(FaceEntity, 'face', 'face.id = member.face_id')
      .select(['member.face_id AS faceId', 'member.cluster_id AS clusterId'])
      .where('face.person_id IS NOT NULL')
      .getRawMany<{ faceId: number | string; clusterId: number | string | null }>();
    if (rows.length === 0) return 0;
    const clusterIds = [...new Set(rows.flatMap((row) => (row.clusterId === null ? [] : [Number(row.clusterId)])))];
    const statements: Statement[] = [];
    for (const ids of chunks(
      rows.map((row) => Number(row.faceId)),
      ROWS_PER_INSERT,
    )) {
      statements.push([`DELETE FROM cluster_members WHERE face_id IN (${placeholders(ids.length)})`, ids]);
    }
    for (const ids of chunks(clusterIds, ROWS_PER_INSERT)) {
      statements.push(recountClusters(ids));
    }
    await runInTransaction(this.dataSource, statements);
    return rows.length;
  }

  /** Writes one clustering batch in one transaction (groups first: members refer to them). */
  async write(batch: ClusteringWrite): Promise<void> {
    const mysql = isMysqlFamily(this.dataSource.options);
    const statements: Statement[] = [];
    for (const rows of chunks(batch.clusters, ROWS_PER_INSERT)) {
      const upsert = mysql
        ? 'ON DUPLICATE KEY UPDATE size = VALUES(size), centroid = VALUES(centroid), cohesion = VALUES(cohesion), ignored = ignored OR VALUES(ignored)'
        : "ON CONFLICT (id) DO UPDATE SET size = excluded.size, centroid = excluded.centroid, cohesion = excluded.cohesion, ignored = face_clusters.ignored OR excluded.ignored, updated_at = datetime('now')";
      statements.push([
        `INSERT INTO face_clusters (id, size, centroid, cohesion, ignored) VALUES ${rows.map(() => '(?, ?, ?, ?, ?)').join(', ')} ${upsert}`,
        rows.flatMap((row) => [
          row.id,
          row.size,
          encodeDescriptor(row.centroid),
          row.cohesion === null ? null : Number(row.cohesion.toFixed(COHESION_DECIMALS)),
          row.ignored ? 1 : 0,
        ]),
      ]);
    }
    for (const [from, into] of batch.merged) {
      statements.push(['UPDATE cluster_members SET cluster_id = ? WHERE cluster_id = ?', [into, from]]);
      // A face split off both groups keeps one cannot-link (the other goes with the deleted group).
      statements.push([`UPDATE ${mysql ? 'IGNORE' : 'OR IGNORE'} cluster_exclusions SET cluster_id = ? WHERE cluster_id = ?`, [into, from]]);
      statements.push(['DELETE FROM face_clusters WHERE id = ?', [from]]);
    }
    for (const rows of chunks(batch.members, ROWS_PER_INSERT)) {
      const upsert = mysql
        ? 'ON DUPLICATE KEY UPDATE cluster_id = VALUES(cluster_id)'
        : 'ON CONFLICT (face_id) DO UPDATE SET cluster_id = excluded.cluster_id';
      statements.push([
        `INSERT INTO cluster_members (face_id, cluster_id) VALUES ${rows.map(() => '(?, ?)').join(', ')} ${upsert}`,
        rows.flatMap((row) => [row.faceId, row.clusterId]),
      ]);
    }
    for (const ids of chunks(batch.cleaned ?? [], ROWS_PER_INSERT))
      statements.push([`UPDATE face_clusters SET dirty = 0 WHERE id IN (${placeholders(ids.length)})`, ids]);
    for (const [flag, faceIds] of [
      [1, batch.outliers?.marked ?? []],
      [0, batch.outliers?.cleared ?? []],
    ] as const) {
      for (const ids of chunks(faceIds, ROWS_PER_INSERT))
        statements.push([`UPDATE cluster_members SET outlier = ${flag} WHERE face_id IN (${placeholders(ids.length)})`, ids]);
    }
    if (statements.length > 0) await runInTransaction(this.dataSource, statements);
  }

  private async unknownFaces(afterId: number, limit: number, minSize: number, unclusteredOnly: boolean): Promise<UnknownFace[]> {
    const builder = this.dataSource
      .getRepository(FaceEntity)
      .createQueryBuilder('face')
      .select(['face.id AS id', 'face.image_id AS imageId', 'face.descriptor AS descriptor'])
      // COALESCE keeps the planner on the primary-key range (id > afterId): on the person_id index it would read
      // and sort every unknown face to find the few new ones.
      .where('face.id > :afterId AND COALESCE(face.person_id, 0) = 0 AND face.descriptor IS NOT NULL', { afterId })
      .andWhere('face.descriptor_recipe = :recipe', { recipe: this.recipe })
      .andWhere('face.box_width >= :minSize AND face.box_height >= :minSize', { minSize })
      .orderBy('face.id', 'ASC')
      .limit(limit);
    if (unclusteredOnly) builder.andWhere('NOT EXISTS (SELECT 1 FROM cluster_members member WHERE member.face_id = face.id)');
    const rows = await builder.getRawMany<{ id: number | string; imageId: number | string; descriptor: Buffer }>();
    return rows.map((row) => ({ id: Number(row.id), imageId: Number(row.imageId), descriptor: decodeDescriptor(row.descriptor) }));
  }
}
