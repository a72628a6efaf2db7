import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { FaceBox } from '@visage/domain';
import { isMysqlFamily } from '../data-source-options';
import { ClusterMemberEntity, FaceClusterEntity } from '../entities/face-cluster.entity';
import { FaceEntity } from '../entities/face.entity';
import { decodeDescriptor, encodeDescriptor } from './person-image.repository';
import { placeholders, runInTransaction, Statement } from './transactions';

/** A group as the clustering job keeps it. */
export interface StoredCluster {
  id: number;
  size: number;
  centroid: Float32Array;
  ignored: boolean;
  /** A member was removed by the review: recompute the centroid from the members. */
  dirty: boolean;
}

export interface UnknownFace {
  id: number;
  descriptor: Float32Array;
}

/** One clustering batch, written in one transaction. */
export interface ClusteringWrite {
  /** Groups created or changed (size, centroid; ignored only ever turns on). */
  clusters: Array<{ id: number; size: number; centroid: Float32Array; ignored: boolean }>;
  /** Faces placed in a group. */
  members: Array<{ faceId: number; clusterId: number }>;
  /** Groups absorbed by a merge: their members move to the target, then they are deleted. */
  merged: Map<number, number>;
  /** Groups whose centroid was recomputed from their members. */
  cleaned?: number[];
}

export interface ClusterFace {
  faceId: number;
  imageId: number;
  /** Image path relative to IMAGES_ROOT. */
  path: string;
  box: FaceBox;
}

export interface ClusterSummary {
  id: number;
  size: number;
  /** Distinct images the group's faces are in. */
  imageCount: number;
  ignored: boolean;
  /** A few of its faces (oldest first), for crops. */
  sampleFaces: ClusterFace[];
}

export interface ClusterDetail extends ClusterSummary {
  faces: ClusterFace[];
}

/** Where a page of groups ends: keyset on (size desc, id asc). */
export interface ClusterCursor {
  size: number;
  id: number;
}

const CLUSTER_CURSOR_PREFIX = 'c1:';

/** Opaque (base64url) keyset position of GET /clusters. */
export function encodeClusterCursor(cursor: ClusterCursor): string {
  return Buffer.from(`${CLUSTER_CURSOR_PREFIX}${cursor.size}:${cursor.id}`, 'utf8').toString('base64url');
}

/** Undefined for anything {@link encodeClusterCursor} did not produce. */
export function decodeClusterCursor(value: string): ClusterCursor | undefined {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(value)) return undefined;
  const match = /^c1:(0|[1-9]\d{0,9}):([1-9]\d{0,9})$/.exec(Buffer.from(value, 'base64url').toString('utf8'));
  return match ? { size: Number(match[1]), id: Number(match[2]) } : undefined;
}

export const CLUSTER_SAMPLE_FACES = 4;
/** Faces listed by GET /clusters/:id (the largest groups of a big library are posters). */
export const CLUSTER_DETAIL_FACES = 500;
/** Rows per multi-row INSERT (4 parameters each: well under SQLite's and MySQL's placeholder limits). */
const ROWS_PER_INSERT = 500;

interface ClusterFaceRow {
  clusterId: number | string;
  faceId: number | string;
  imageId: number | string;
  path: string;
  boxX: number | string;
  boxY: number | string;
  boxWidth: number | string;
  boxHeight: number | string;
}

/**
 * Groups of unknown faces (candidate people): what the clustering job reads and writes, and what the review
 * lists, ignores and corrects. A face is clustered once (a `cluster_members` row); its group may change by merging.
 */
@Injectable()
export class FaceClusterRepository {
  constructor(private readonly dataSource: DataSource) {}

  async loadClusters(): Promise<StoredCluster[]> {
    const rows = await this.dataSource.getRepository(FaceClusterEntity).find({ order: { id: 'ASC' } });
    return rows.map((row) => ({ id: row.id, size: row.size, centroid: decodeDescriptor(row.centroid), ignored: Boolean(row.ignored), dirty: Boolean(row.dirty) }));
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
    const row = await this.dataSource.getRepository(ClusterMemberEntity).createQueryBuilder('member').select('MAX(member.face_id)', 'max').getRawOne<{ max: number | string | null }>();
    return Number(row?.max ?? 0);
  }

  /** Unknown faces with a descriptor after face `afterId`, in id order (new faces: one primary-key range). */
  unknownFacesAfter(afterId: number, limit: number): Promise<UnknownFace[]> {
    return this.unknownFaces(afterId, limit, false);
  }

  /**
   * Unknown faces no group has looked at, after face `afterId`: faces that became unknown after they were
   * named (a re-match, "Not <name>", a deleted person). A scan of every unknown face: the job runs it now and then.
   */
  unclusteredUnknownFaces(afterId: number, limit: number): Promise<UnknownFace[]> {
    return this.unknownFaces(afterId, limit, true);
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
    for (const ids of chunks(rows.map((row) => Number(row.faceId)), ROWS_PER_INSERT)) {
      statements.push([`DELETE FROM cluster_members WHERE face_id IN (${placeholders(ids.length)})`, ids]);
    }
    for (const ids of chunks(clusterIds, ROWS_PER_INSERT)) {
      statements.push(recountClusters(ids));
    }
    await runInTransaction(this.dataSource, statements);
    return rows.length;
  }

  /** The descriptors of a group's members (to recompute its centroid). */
  async memberDescriptors(clusterId: number): Promise<Float32Array[]> {
    const rows = await this.dataSource
      .getRepository(FaceEntity)
      .createQueryBuilder('face')
      .innerJoin(ClusterMemberEntity, 'member', 'member.face_id = face.id')
      .select('face.descriptor', 'descriptor')
      .where('member.cluster_id = :clusterId AND face.descriptor IS NOT NULL', { clusterId })
      .getRawMany<{ descriptor: Buffer }>();
    return rows.map((row) => decodeDescriptor(row.descriptor));
  }

  /** Writes one clustering batch in one transaction (groups first: members refer to them). */
  async write(batch: ClusteringWrite): Promise<void> {
    const mysql = isMysqlFamily(this.dataSource.options);
    const statements: Statement[] = [];
    for (const rows of chunks(batch.clusters, ROWS_PER_INSERT)) {
      const upsert = mysql
        ? 'ON DUPLICATE KEY UPDATE size = VALUES(size), centroid = VALUES(centroid), ignored = ignored OR VALUES(ignored)'
        : "ON CONFLICT (id) DO UPDATE SET size = excluded.size, centroid = excluded.centroid, ignored = face_clusters.ignored OR excluded.ignored, updated_at = datetime('now')";
      statements.push([
        `INSERT INTO face_clusters (id, size, centroid, ignored) VALUES ${rows.map(() => '(?, ?, ?, ?)').join(', ')} ${upsert}`,
        rows.flatMap((row) => [row.id, row.size, encodeDescriptor(row.centroid), row.ignored ? 1 : 0]),
      ]);
    }
    for (const [from, into] of batch.merged) {
      statements.push(['UPDATE cluster_members SET cluster_id = ? WHERE cluster_id = ?', [into, from]]);
      statements.push(['DELETE FROM face_clusters WHERE id = ?', [from]]);
    }
    for (const rows of chunks(batch.members, ROWS_PER_INSERT)) {
      const upsert = mysql ? 'ON DUPLICATE KEY UPDATE cluster_id = VALUES(cluster_id)' : 'ON CONFLICT (face_id) DO UPDATE SET cluster_id = excluded.cluster_id';
      statements.push([
        `INSERT INTO cluster_members (face_id, cluster_id) VALUES ${rows.map(() => '(?, ?)').join(', ')} ${upsert}`,
        rows.flatMap((row) => [row.faceId, row.clusterId]),
      ]);
    }
    for (const ids of chunks(batch.cleaned ?? [], ROWS_PER_INSERT)) statements.push([`UPDATE face_clusters SET dirty = 0 WHERE id IN (${placeholders(ids.length)})`, ids]);
    if (statements.length > 0) await runInTransaction(this.dataSource, statements);
  }

  /** Groups that are not ignored and not empty, largest first, keyset-paginated, with a few faces each. */
  async list(limit: number, after?: ClusterCursor): Promise<ClusterSummary[]> {
    const builder = this.dataSource
      .getRepository(FaceClusterEntity)
      .createQueryBuilder('cluster')
      .select(['cluster.id AS id', 'cluster.size AS size', 'cluster.ignored AS ignored'])
      .addSelect(
        (sub) =>
          sub
            .select('COUNT(DISTINCT face.image_id)')
            .from(ClusterMemberEntity, 'member')
            .innerJoin(FaceEntity, 'face', 'face.id = member.face_id')
            .where('member.cluster_id = cluster.id'),
        'imageCount',
      )
      .where('cluster.ignored = :ignored AND cluster.size > 0', { ignored: false })
      .orderBy('cluster.size', 'DESC')
      .addOrderBy('cluster.id', 'ASC')
      .limit(limit);
    if (after) builder.andWhere('(cluster.size < :afterSize OR (cluster.size = :afterSize AND cluster.id > :afterId))', { afterSize: after.size, afterId: after.id });
    const rows = await builder.getRawMany<{ id: number | string; size: number | string; ignored: number | boolean; imageCount: number | string }>();
    const samples = await this.faces(rows.map((row) => Number(row.id)), CLUSTER_SAMPLE_FACES);
    return rows.map((row) => ({
      id: Number(row.id),
      size: Number(row.size),
      imageCount: Number(row.imageCount),
      ignored: Boolean(Number(row.ignored)),
      sampleFaces: samples.get(Number(row.id)) ?? [],
    }));
  }

  /** One group (ignored or not) with its faces, or undefined. */
  async find(id: number): Promise<ClusterDetail | undefined> {
    const cluster = await this.dataSource.getRepository(FaceClusterEntity).findOneBy({ id });
    if (!cluster) return undefined;
    const faces = (await this.faces([id], CLUSTER_DETAIL_FACES)).get(id) ?? [];
    const imageCount = new Set(faces.map((face) => face.imageId)).size;
    return { id, size: cluster.size, imageCount, ignored: Boolean(cluster.ignored), sampleFaces: faces.slice(0, CLUSTER_SAMPLE_FACES), faces };
  }

  /** The group a face is in, if any. */
  async clusterOf(faceId: number): Promise<{ id: number; ignored: boolean } | undefined> {
    const row = await this.dataSource
      .getRepository(ClusterMemberEntity)
      .createQueryBuilder('member')
      .innerJoin(FaceClusterEntity, 'cluster', 'cluster.id = member.cluster_id')
      .select(['cluster.id AS id', 'cluster.ignored AS ignored'])
      .where('member.face_id = :faceId', { faceId })
      .getRawOne<{ id: number | string; ignored: number | boolean }>();
    return row && { id: Number(row.id), ignored: Boolean(Number(row.ignored)) };
  }

  /** Marks a group ignored; false when there is no such group. */
  async ignore(id: number): Promise<boolean> {
    const result = await this.dataSource.getRepository(FaceClusterEntity).update({ id }, { ignored: true });
    return (result.affected ?? 0) > 0;
  }

  /**
   * "Not the same person": the face leaves the group and is left alone from then on (its member row stays,
   * without a group); the group shrinks and its centroid is recomputed by the job. False when the face is not
   * in that group.
   */
  async removeFace(clusterId: number, faceId: number): Promise<boolean> {
    const results = await runInTransaction(
      this.dataSource,
      [
        ['UPDATE cluster_members SET cluster_id = NULL WHERE face_id = ? AND cluster_id = ?', [faceId, clusterId]],
        ['UPDATE face_clusters SET size = size - 1, dirty = 1 WHERE id = ?', [clusterId]],
      ],
      { guarded: true },
    );
    return results !== undefined;
  }

  /** The statement that deletes a group unless it is ignored (members go with it): the guard of naming it. */
  deleteUnlessIgnored(id: number): Statement {
    return ['DELETE FROM face_clusters WHERE id = ? AND ignored = 0', [id]];
  }

  /** Ids of a group's faces. */
  async memberFaceIds(clusterId: number): Promise<number[]> {
    const rows = await this.dataSource.getRepository(ClusterMemberEntity).find({ where: { clusterId }, select: { faceId: true }, order: { faceId: 'ASC' } });
    return rows.map((row) => row.faceId);
  }

  /**
   * Up to `perCluster` faces of each group, oldest first: one indexed lookup per group, sent as a single UNION ALL
   * round trip per 200 groups (as the dashboard's recent images per person are), not one query per group.
   */
  private async faces(clusterIds: number[], perCluster: number): Promise<Map<number, ClusterFace[]>> {
    const byCluster = new Map<number, ClusterFace[]>(clusterIds.map((id) => [id, []]));
    const take = Math.max(1, Math.floor(perCluster));
    for (const chunk of chunks(clusterIds, 200)) {
      const sql = chunk
        .map(
          () =>
            'SELECT * FROM (SELECT member.cluster_id AS clusterId, face.id AS faceId, face.image_id AS imageId, image.path AS path, ' +
            'face.box_x AS boxX, face.box_y AS boxY, face.box_width AS boxWidth, face.box_height AS boxHeight ' +
            'FROM cluster_members member INNER JOIN faces face ON face.id = member.face_id INNER JOIN images image ON image.id = face.image_id ' +
            `WHERE member.cluster_id = ? ORDER BY member.face_id ASC LIMIT ${take}) AS c`,
        )
        .join(' UNION ALL ');
      for (const row of (await this.dataSource.query(sql, chunk)) as ClusterFaceRow[]) {
        byCluster.get(Number(row.clusterId))?.push({
          faceId: Number(row.faceId),
          imageId: Number(row.imageId),
          path: row.path,
          box: { x: Number(row.boxX), y: Number(row.boxY), width: Number(row.boxWidth), height: Number(row.boxHeight) },
        });
      }
    }
    // UNION ALL keeps no order of its own: oldest first, as each subquery chose them.
    for (const faces of byCluster.values()) faces.sort((a, b) => a.faceId - b.faceId);
    return byCluster;
  }

  private async unknownFaces(afterId: number, limit: number, unclusteredOnly: boolean): Promise<UnknownFace[]> {
    const builder = this.dataSource
      .getRepository(FaceEntity)
      .createQueryBuilder('face')
      .select(['face.id AS id', 'face.descriptor AS descriptor'])
      // COALESCE keeps the planner on the primary-key range (id > afterId): on the person_id index it would read
      // and sort every unknown face to find the few new ones.
      .where('face.id > :afterId AND COALESCE(face.person_id, 0) = 0 AND face.descriptor IS NOT NULL', { afterId })
      .orderBy('face.id', 'ASC')
      .limit(limit);
    if (unclusteredOnly) builder.andWhere('NOT EXISTS (SELECT 1 FROM cluster_members member WHERE member.face_id = face.id)');
    const rows = await builder.getRawMany<{ id: number | string; descriptor: Buffer }>();
    return rows.map((row) => ({ id: Number(row.id), descriptor: decodeDescriptor(row.descriptor) }));
  }
}


function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let start = 0; start < items.length; start += size) out.push(items.slice(start, start + size));
  return out;
}

/** Groups that lost members: their size recounted, marked for the clustering job to recompute their centroid. */
export function recountClusters(ids: readonly number[]): Statement {
  return [`UPDATE face_clusters SET dirty = 1, size = (SELECT COUNT(*) FROM cluster_members m WHERE m.cluster_id = face_clusters.id) WHERE id IN (${placeholders(ids.length)})`, [...ids]];
}
