import { placeholders, Statement } from '../shared/transactions';

/** Rows per multi-row INSERT (4 parameters each: well under SQLite's and MySQL's placeholder limits). */
export const ROWS_PER_INSERT = 500;

export function chunks<T>(items: readonly T[], size: number): T[][] {
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
