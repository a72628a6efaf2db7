import { DataSource } from 'typeorm';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { DESCRIPTOR_LENGTH } from '@visage/domain';
import { ClusteringRepository } from '@visage/persistence';
import { Rows, TestDriver } from '../../../libs/persistence/test/test-databases';
import { ReceiverHarness, startReceiver } from './receiver-harness';

/** Tables the review tests empty before each test, children first. */
export const REVIEW_TABLES = [
  'audit_events',
  'cluster_exclusions',
  'cluster_members',
  'face_clusters',
  'face_rejections',
  'faces',
  'person_images',
  'images',
  'persons',
];

/** What a review test works with; filled in by the suite's beforeAll. */
export interface ReviewContext {
  harness: ReceiverHarness;
  dataSource: DataSource;
  rows: Rows;
  /** Writes groups as the clustering job does. */
  clustering: ClusteringRepository;
}

/** A receiver on a fresh database of `driver` for the whole suite, its review tables emptied before each test. */
export function useReviewReceiver(driver: TestDriver): ReviewContext {
  const context = {} as ReviewContext;
  beforeAll(async () => {
    context.harness = await startReceiver(driver);
    context.dataSource = context.harness.app.get(DataSource);
    context.rows = new Rows(context.dataSource);
    context.clustering = new ClusteringRepository(context.dataSource);
  });
  afterAll(async () => {
    await context.harness?.close();
  });
  beforeEach(async () => {
    for (const table of REVIEW_TABLES) await context.dataSource.query(`DELETE FROM ${table}`);
  });
  return context;
}

/**
 * The faces as one group of unknown faces, as the clustering job writes it (its id: the first face's), with the
 * given cohesion (default: 0.4, null for one face) and outlier faces.
 */
export async function writeGroup(
  clustering: ClusteringRepository,
  faces: number[],
  { cohesion = faces.length > 1 ? 0.4 : null, outliers = [] }: { cohesion?: number | null; outliers?: number[] } = {},
): Promise<number> {
  await clustering.write({
    clusters: [{ id: faces[0], size: faces.length, centroid: new Float32Array(DESCRIPTOR_LENGTH), ignored: false, cohesion }],
    members: faces.map((faceId) => ({ faceId, clusterId: faces[0] })),
    merged: new Map(),
    outliers: { marked: outliers, cleared: [] },
  });
  return faces[0];
}
