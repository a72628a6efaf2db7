/** Where a page of groups ends: keyset on (cohesion asc, groups of one face last, id asc). */
export interface ClusterCursor {
  /** null: in the groups of one face (no cohesion), listed after the others. */
  cohesion: number | null;
  id: number;
}

const CLUSTER_CURSOR_PREFIX = 'c2:';
/** Cohesion is stored rounded to this many decimals, so the cursor carries it exactly. */
export const COHESION_DECIMALS = 6;

/** Opaque (base64url) keyset position of GET /clusters. */
export function encodeClusterCursor(cursor: ClusterCursor): string {
  const cohesion = cursor.cohesion === null ? '-' : cursor.cohesion.toFixed(COHESION_DECIMALS);
  return Buffer.from(`${CLUSTER_CURSOR_PREFIX}${cohesion}:${cursor.id}`, 'utf8').toString('base64url');
}

/** The cursor of the page after the one ending with `last` (a listed group). */
export function clusterCursorAfter(last: ClusterCursor): string {
  return encodeClusterCursor({ cohesion: last.cohesion, id: last.id });
}

/** Undefined for anything {@link encodeClusterCursor} did not produce. */
export function decodeClusterCursor(value: string): ClusterCursor | undefined {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(value)) return undefined;
  const match = /^c2:(-|\d{1,3}\.\d{6}):([1-9]\d{0,9})$/.exec(Buffer.from(value, 'base64url').toString('utf8'));
  if (!match) return undefined;
  return { cohesion: match[1] === '-' ? null : Number(match[1]), id: Number(match[2]) };
}
