import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { FaceBox } from '@visage/domain';
import { ClusterMemberEntity, FaceClusterEntity } from './face-cluster.entity';
import { FaceEntity } from '../images/face.entity';
import { auditIfChanged, AuditRecord, auditStatement } from '../access/audit.repository';
import { runInTransaction, Statement } from '../shared/transactions';
import { ClusterCursor } from './cluster-cursor';
import { chunks } from './cluster-statements';
import { boxSelection, BoxRow, faceBoxOfRow } from '../shared/box-columns';

export interface ClusterFace {
  faceId: number;
  imageId: number;
  /** Image path relative to IMAGES_ROOT. */
  path: string;
  box: FaceBox;
  /** Unlike the rest of its group: root-mean-square distance to the other faces beyond CLUSTER_THRESHOLD. */
  outlier: boolean;
}

export interface ClusterSummary {
  id: number;
  size: number;
  /** Distinct images the group's faces are in. */
  imageCount: number;
  ignored: boolean;
  /** Root-mean-square distance between two of its faces (lower: more alike); null for one face. */
  cohesion: number | null;
  /** Members marked as outliers. */
  outlierCount: number;
  /** A few of its faces that are not outliers (oldest first), for crops. */
  sampleFaces: ClusterFace[];
  /** A few of its outliers (oldest first). */
  outlierFaces: ClusterFace[];
}

export interface ClusterDetail extends ClusterSummary {
  faces: ClusterFace[];
}

export const CLUSTER_SAMPLE_FACES = 4;
/** Faces listed by GET /clusters/:id (the largest groups of a big library are posters). */
export const CLUSTER_DETAIL_FACES = 500;

interface ClusterFaceRow extends BoxRow {
  clusterId: number | string;
  faceId: number | string;
  imageId: number | string;
  path: string;
  outlier: number | string | boolean;
}

interface ClusterListRow {
  id: number | string;
  size: number | string;
  ignored: number | boolean;
  cohesion: number | string | null;
  imageCount: number | string;
  outlierCount: number | string;
}

/**
 * Groups of unknown faces (candidate people) as the review sees them: listed, opened, ignored and corrected
 * ("not the same person", the guard of naming a group). The clustering job's side is `ClusteringRepository`.
 */
@Injectable()
export class FaceClusterRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Groups that are not ignored and not empty, most cohesive first (lowest {@link ClusterSummary.cohesion}; groups
   * of one face, which have none, last), keyset-paginated, with a few faces and outliers each. Two index ranges:
   * the groups with a cohesion, then, if the page is not full, the groups of one face.
   */
  async list(limit: number, after?: ClusterCursor): Promise<ClusterSummary[]> {
    const rows: ClusterListRow[] = [];
    if (after?.cohesion !== null) {
      const builder = this.listQuery(limit)
        .andWhere('cluster.cohesion IS NOT NULL')
        .orderBy('cluster.cohesion', 'ASC')
        .addOrderBy('cluster.id', 'ASC');
      if (after)
        builder.andWhere('(cluster.cohesion > :cohesion OR (cluster.cohesion = :cohesion AND cluster.id > :afterId))', {
          cohesion: after.cohesion,
          afterId: after.id,
        });
      rows.push(...(await builder.getRawMany<ClusterListRow>()));
    }
    if (rows.length < limit) {
      const builder = this.listQuery(limit - rows.length)
        .andWhere('cluster.cohesion IS NULL')
        .orderBy('cluster.id', 'ASC');
      if (after?.cohesion === null) builder.andWhere('cluster.id > :afterId', { afterId: after.id });
      rows.push(...(await builder.getRawMany<ClusterListRow>()));
    }
    const ids = rows.map((row) => Number(row.id));
    const [samples, outliers] = await Promise.all([this.faces(ids, CLUSTER_SAMPLE_FACES, false), this.faces(ids, CLUSTER_SAMPLE_FACES, true)]);
    return rows.map((row) => ({
      id: Number(row.id),
      size: Number(row.size),
      imageCount: Number(row.imageCount),
      ignored: Boolean(Number(row.ignored)),
      cohesion: row.cohesion === null ? null : Number(row.cohesion),
      outlierCount: Number(row.outlierCount),
      sampleFaces: samples.get(Number(row.id)) ?? [],
      outlierFaces: outliers.get(Number(row.id)) ?? [],
    }));
  }

  /** One group (ignored or not) with its faces, or undefined. */
  async find(id: number): Promise<ClusterDetail | undefined> {
    const cluster = await this.dataSource.getRepository(FaceClusterEntity).findOneBy({ id });
    if (!cluster) return undefined;
    const faces = (await this.faces([id], CLUSTER_DETAIL_FACES)).get(id) ?? [];
    const imageCount = new Set(faces.map((face) => face.imageId)).size;
    const typical = faces.filter((face) => !face.outlier);
    const outliers = faces.filter((face) => face.outlier);
    return {
      id,
      size: cluster.size,
      imageCount,
      ignored: Boolean(cluster.ignored),
      cohesion: cluster.cohesion,
      outlierCount: outliers.length,
      sampleFaces: typical.slice(0, CLUSTER_SAMPLE_FACES),
      outlierFaces: outliers.slice(0, CLUSTER_SAMPLE_FACES),
      faces,
    };
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

  /** Marks a group ignored; false when there is no such group. `audit`: its row, in the same transaction. */
  async ignore(id: number, audit?: AuditRecord): Promise<boolean> {
    const results = await runInTransaction(this.dataSource, [
      ['UPDATE face_clusters SET ignored = 1 WHERE id = ?', [id]],
      ...(audit ? [auditIfChanged(0, audit)] : []),
    ]);
    return (results?.[0].affected ?? 0) > 0;
  }

  /**
   * "Not the same person": the face leaves the group with a cannot-link to it (`cluster_exclusions`), so the job
   * groups it again elsewhere (its own group, or another that fits) but never with this group or what it merges
   * into; the group shrinks and is written again by the job. False when the face is not in that group. `audit`:
   * its row, in the same transaction.
   */
  async removeFace(clusterId: number, faceId: number, audit?: AuditRecord): Promise<boolean> {
    const results = await runInTransaction(
      this.dataSource,
      [
        ['DELETE FROM cluster_members WHERE face_id = ? AND cluster_id = ?', [faceId, clusterId]],
        ['UPDATE face_clusters SET size = size - 1, dirty = 1 WHERE id = ?', [clusterId]],
        ['INSERT INTO cluster_exclusions (face_id, cluster_id) VALUES (?, ?)', [faceId, clusterId]],
        ...(audit ? [auditStatement(audit)] : []),
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
    const rows = await this.dataSource
      .getRepository(ClusterMemberEntity)
      .find({ where: { clusterId }, select: { faceId: true }, order: { faceId: 'ASC' } });
    return rows.map((row) => row.faceId);
  }

  /** Groups listed by {@link list}: not ignored, not empty, with their image and outlier counts. */
  private listQuery(limit: number) {
    return this.dataSource
      .getRepository(FaceClusterEntity)
      .createQueryBuilder('cluster')
      .select(['cluster.id AS id', 'cluster.size AS size', 'cluster.ignored AS ignored', 'cluster.cohesion AS cohesion'])
      .addSelect(
        (sub) =>
          sub
            .select('COUNT(DISTINCT face.image_id)')
            .from(ClusterMemberEntity, 'member')
            .innerJoin(FaceEntity, 'face', 'face.id = member.face_id')
            .where('member.cluster_id = cluster.id'),
        'imageCount',
      )
      .addSelect(
        (sub) => sub.select('COUNT(*)').from(ClusterMemberEntity, 'flagged').where('flagged.cluster_id = cluster.id AND flagged.outlier = 1'),
        'outlierCount',
      )
      .where('cluster.ignored = :ignored AND cluster.size > 0', { ignored: false })
      .limit(limit);
  }

  /**
   * Up to `perCluster` faces of each group, oldest first (only outliers, or only the others, when `outlier` is
   * given): one indexed lookup per group, sent as a single UNION ALL round trip per 200 groups (as the
   * dashboard's recent images per person are), not one query per group.
   */
  private async faces(clusterIds: number[], perCluster: number, outlier?: boolean): Promise<Map<number, ClusterFace[]>> {
    const byCluster = new Map<number, ClusterFace[]>(clusterIds.map((id) => [id, []]));
    const take = Math.max(1, Math.floor(perCluster));
    const flag = outlier === undefined ? '' : ` AND member.outlier = ${outlier ? 1 : 0}`;
    for (const chunk of chunks(clusterIds, 200)) {
      const sql = chunk
        .map(
          () =>
            'SELECT * FROM (SELECT member.cluster_id AS clusterId, face.id AS faceId, face.image_id AS imageId, image.path AS path, ' +
            `${boxSelection('face').join(', ')}, member.outlier AS outlier ` +
            'FROM cluster_members member INNER JOIN faces face ON face.id = member.face_id INNER JOIN images image ON image.id = face.image_id ' +
            `WHERE member.cluster_id = ?${flag} ORDER BY member.face_id ASC LIMIT ${take}) AS c`,
        )
        .join(' UNION ALL ');
      for (const row of (await this.dataSource.query(sql, chunk)) as ClusterFaceRow[]) {
        byCluster.get(Number(row.clusterId))?.push({
          faceId: Number(row.faceId),
          imageId: Number(row.imageId),
          path: row.path,
          box: faceBoxOfRow(row),
          outlier: Boolean(Number(row.outlier)),
        });
      }
    }
    // UNION ALL keeps no order of its own: oldest first, as each subquery chose them.
    for (const faces of byCluster.values()) faces.sort((a, b) => a.faceId - b.faceId);
    return byCluster;
  }
}
