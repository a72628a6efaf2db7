// Driver-error checks stay inside this lib: repositories report PersistenceError codes instead.
export { PERSISTENCE_ERROR_CODES, PersistenceError, PersistenceErrorCode } from './database-errors';
export * from './image-cursor';
export * from './keyset-page';
export * from './image-views';
export * from './image.repository';
export * from './person.repository';
export * from './image-processing.repository';
export * from './dashboard.repository';
export * from './descriptor-codec';
export * from './person-image.repository';
export * from './lock.repository';
export * from './transactions';
export * from './gallery-version';
export * from './face-identity.repository';
export * from './face-review.repository';
export * from './face-cluster.repository';
export * from './redescription.repository';
export * from './outcome-events';
export * from './outcome-event.repository';
export * from './api-key.repository';
export * from './audit.repository';
export * from './dashboard-session.repository';

import { ApiKeyRepository } from './api-key.repository';
import { AuditRepository } from './audit.repository';
import { DashboardRepository } from './dashboard.repository';
import { DashboardSessionRepository } from './dashboard-session.repository';
import { FaceIdentityRepository } from './face-identity.repository';
import { FaceClusterRepository } from './face-cluster.repository';
import { FaceReviewRepository } from './face-review.repository';
import { ImageProcessingRepository } from './image-processing.repository';
import { ImageRepository } from './image.repository';
import { LockRepository } from './lock.repository';
import { OutcomeEventRepository } from './outcome-event.repository';
import { PersonImageRepository } from './person-image.repository';
import { PersonRepository } from './person.repository';
import { RedescriptionRepository } from './redescription.repository';

/**
 * Every repository, registered once by PersistenceModule and shared from there (as immich's
 * `repositories/index.ts`). A new repository is added here and nowhere else.
 */
export const PERSISTENCE_REPOSITORIES = [
  ApiKeyRepository,
  AuditRepository,
  DashboardRepository,
  DashboardSessionRepository,
  FaceClusterRepository,
  FaceIdentityRepository,
  FaceReviewRepository,
  ImageProcessingRepository,
  ImageRepository,
  LockRepository,
  OutcomeEventRepository,
  PersonImageRepository,
  PersonRepository,
  RedescriptionRepository,
];
