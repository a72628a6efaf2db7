import { DatabaseConfig } from '@visage/config';
import { InitialSchema1795750000000 as MysqlInitialSchema } from './mysql/1795750000000-initial-schema';
import { InitialSchema1795750000000 as SqliteInitialSchema } from './sqlite/1795750000000-initial-schema';
import { DashboardIndexes1795760000000 as MysqlDashboardIndexes } from './mysql/1795760000000-dashboard-indexes';
import { DashboardIndexes1795760000000 as SqliteDashboardIndexes } from './sqlite/1795760000000-dashboard-indexes';
import { LockLeases1795770000000 as SqliteLockLeases } from './sqlite/1795770000000-lock-leases';
import { LeasesAndRetries1795775000000 as MysqlLeasesAndRetries } from './mysql/1795775000000-leases-and-retries';
import { LeasesAndRetries1795775000000 as SqliteLeasesAndRetries } from './sqlite/1795775000000-leases-and-retries';
import { FaceIdentity1795780000000 as MysqlFaceIdentity } from './mysql/1795780000000-face-identity';
import { FaceIdentity1795780000000 as SqliteFaceIdentity } from './sqlite/1795780000000-face-identity';
import { ImageRequestId1795790000000 as MysqlImageRequestId } from './mysql/1795790000000-image-request-id';
import { ImageRequestId1795790000000 as SqliteImageRequestId } from './sqlite/1795790000000-image-request-id';
import { FaceReview1795800000000 as MysqlFaceReview } from './mysql/1795800000000-face-review';
import { FaceReview1795800000000 as SqliteFaceReview } from './sqlite/1795800000000-face-review';
import { OutcomeEvents1795810000000 as MysqlOutcomeEvents } from './mysql/1795810000000-outcome-events';
import { OutcomeEvents1795810000000 as SqliteOutcomeEvents } from './sqlite/1795810000000-outcome-events';
import { Security1795820000000 as MysqlSecurity } from './mysql/1795820000000-security';
import { Security1795820000000 as SqliteSecurity } from './sqlite/1795820000000-security';
import { FaceQuality1795830000000 as MysqlFaceQuality } from './mysql/1795830000000-face-quality';
import { FaceQuality1795830000000 as SqliteFaceQuality } from './sqlite/1795830000000-face-quality';
import { ClusterLinkage1795840000000 as MysqlClusterLinkage } from './mysql/1795840000000-cluster-linkage';
import { ClusterLinkage1795840000000 as SqliteClusterLinkage } from './sqlite/1795840000000-cluster-linkage';
import { SecurityRound21795860000000 as MysqlSecurityRound2 } from './mysql/1795860000000-security-round-2';
import { SecurityRound21795860000000 as SqliteSecurityRound2 } from './sqlite/1795860000000-security-round-2';
import { PersonNameKey1795870000000 as MysqlPersonNameKey } from './mysql/1795870000000-person-name-key';
import { PersonNameKey1795870000000 as SqlitePersonNameKey } from './sqlite/1795870000000-person-name-key';
import { DescriptorRecipes1795880000000 as MysqlDescriptorRecipes } from './mysql/1795880000000-descriptor-recipes';
import { DescriptorRecipes1795880000000 as SqliteDescriptorRecipes } from './sqlite/1795880000000-descriptor-recipes';
import { ErasureEvents1795890000000 as MysqlErasureEvents } from './mysql/1795890000000-erasure-events';
import { ErasureEvents1795890000000 as SqliteErasureEvents } from './sqlite/1795890000000-erasure-events';

/**
 * Migrations are listed as classes (not a glob) so they work the same from `src/` under Vitest and from
 * `dist/` after the build. Append new ones at the end of both lists; the two dialects share names and order,
 * except SQLite's lock lease table (MySQL has named locks instead).
 */
export const MYSQL_MIGRATIONS = [
  MysqlInitialSchema,
  MysqlDashboardIndexes,
  MysqlLeasesAndRetries,
  MysqlFaceIdentity,
  MysqlImageRequestId,
  MysqlFaceReview,
  MysqlOutcomeEvents,
  MysqlSecurity,
  MysqlFaceQuality,
  MysqlClusterLinkage,
  MysqlSecurityRound2,
  MysqlPersonNameKey,
  MysqlDescriptorRecipes,
  MysqlErasureEvents,
];
export const SQLITE_MIGRATIONS = [
  SqliteInitialSchema,
  SqliteDashboardIndexes,
  SqliteLockLeases,
  SqliteLeasesAndRetries,
  SqliteFaceIdentity,
  SqliteImageRequestId,
  SqliteFaceReview,
  SqliteOutcomeEvents,
  SqliteSecurity,
  SqliteFaceQuality,
  SqliteClusterLinkage,
  SqliteSecurityRound2,
  SqlitePersonNameKey,
  SqliteDescriptorRecipes,
  SqliteErasureEvents,
];

export function migrationsFor(type: DatabaseConfig['type']) {
  return type === 'mysql' ? MYSQL_MIGRATIONS : SQLITE_MIGRATIONS;
}
