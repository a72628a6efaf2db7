import { Inject, Injectable, Optional } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { DescriptorRecipe, FaceBox } from '@visage/domain';
import { isMysqlFamily } from '../data-source-options';
import { ClusteringStateEntity, ClusterMemberEntity, FaceClusterEntity } from './face-cluster.entity';
import { FaceEntity } from '../images/face.entity';
import { CONFIGURED_DESCRIPTOR_RECIPE, decodeDescriptor, encodeDescriptor, UNCONFIGURED_DESCRIPTOR_RECIPE } from '../shared/descriptor-codec';
import { auditIfChanged, AuditRecord, auditStatement } from '../access/audit.repository';
import { placeholders, runInTransaction, Statement } from '../shared/transactions';

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

/** Where a page of groups ends: keyset on (cohesion asc, groups of one face last, id asc). */
export interface ClusterCursor {
  /** null: in the groups of one face (no cohesion), listed after the others. */
  cohesion: number | null;
  id: number;
}

const CLUSTER_CURSOR_PREFIX = 'c2:';
/** Cohesion is stored rounded to this many decimals, so the cursor carries it exactly. */
const COHESION_DECIMALS = 6;

/** Opaque (base64url) keyset position of GET /clusters. */
export function encodeClusterCursor(cursor: ClusterCursor): string {
  const cohesion = cursor.cohesion === null ? '-' : cursor.cohesion.toFixed(COHESION_DECIMALS);
  return Buffer.from(`${CLUSTER_CURSOR_PREFIX}${cohesion}:${cursor.id}`, 'utf8').toString('base64url');
}

/** The cursor of the page after the one ending with `last`. */
export function clusterCursorAfter(last: Pick<ClusterSummary, 'cohesion' | 'id'>): string {
  return encodeClusterCursor({ cohesion: last.cohesion, id: last.id });
}

/** Undefined for anything {@link encodeClusterCursor} did not produce. */
export function decodeClusterCursor(value: string): ClusterCursor | undefined {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(value)) return undefined;
  const match = /^c2:(-|\d{1,3}\.\d{6}):([1-9]\d{0,9})$/.exec(Buffer.from(value, 'base64url').toString('utf8'));
  if (!match) return undefined;
  return { cohesion: match[1] === '-' ? null : Number(match[1]), id: Number(match[2]) };
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

/** The one row of `clustering_state`. */
const CLUSTERING_STATE_ID = 1;

/**
 * Groups of unknown faces (candidate people): what the clustering job reads and writes, and what the review
 * lists, ignores and corrects. A face is clustered once (a `cluster_members` row); its group may change by merging.
 */
@Injectable()
export class FaceClusterRepository {
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
            'face.box_x AS boxX, face.box_y AS boxY, face.box_width AS boxWidth, face.box_height AS boxHeight, member.outlier AS outlier ' +
            'FROM cluster_members member INNER JOIN faces face ON face.id = member.face_id INNER JOIN images image ON image.id = face.image_id ' +
            `WHERE member.cluster_id = ?${flag} ORDER BY member.face_id ASC LIMIT ${take}) AS c`,
        )
        .join(' UNION ALL ');
      for (const row of (await this.dataSource.query(sql, chunk)) as ClusterFaceRow[]) {
        byCluster.get(Number(row.clusterId))?.push({
          faceId: Number(row.faceId),
          imageId: Number(row.imageId),
          path: row.path,
          box: { x: Number(row.boxX), y: Number(row.boxY), width: Number(row.boxWidth), height: Number(row.boxHeight) },
          outlier: Boolean(Number(row.outlier)),
        });
      }
    }
    // UNION ALL keeps no order of its own: oldest first, as each subquery chose them.
    for (const faces of byCluster.values()) faces.sort((a, b) => a.faceId - b.faceId);
    return byCluster;
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

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let start = 0; start < items.length; start += size) out.push(items.slice(start, start + size));
  return out;
}

/** Groups that lost members: their size recounted, marked for the clustering job to recompute their centroid. */
export function recountClusters(ids: readonly number[]): Statement {
  return [
    `UPDATE face_clusters SET dirty = 1, size = (SELECT COUNT(*) FROM cluster_members m WHERE m.cluster_id = face_clusters.id) WHERE id IN (${placeholders(ids.length)})`,
    [...ids],
  ];
}
