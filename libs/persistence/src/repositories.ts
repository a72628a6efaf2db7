import { ApiKeyRepository } from './access/api-key.repository';
import { AuditRepository } from './access/audit.repository';
import { DashboardImageRepository } from './images/dashboard-image.repository';
import { DashboardPersonRepository } from './people/dashboard-person.repository';
import { DashboardSessionRepository } from './access/dashboard-session.repository';
import { FaceIdentityRepository } from './review/face-identity.repository';
import { ClusteringRepository } from './review/clustering.repository';
import { FaceClusterRepository } from './review/face-cluster.repository';
import { FaceReviewRepository } from './review/face-review.repository';
import { ImageProcessingRepository } from './images/image-processing.repository';
import { ImageRepository } from './images/image.repository';
import { ImageRetryRepository } from './images/image-retry.repository';
import { LockRepository } from './shared/lock.repository';
import { OutcomeEventRepository } from './events/outcome-event.repository';
import { PersonImageRepository } from './people/person-image.repository';
import { PersonRepository } from './people/person.repository';
import { RedescriptionRepository } from './images/redescription.repository';

/**
 * Every repository, registered once by PersistenceModule and shared from there (as immich's
 * `repositories/index.ts`). A new repository is added here and nowhere else.
 */
export const PERSISTENCE_REPOSITORIES = [
  ApiKeyRepository,
  AuditRepository,
  ClusteringRepository,
  DashboardImageRepository,
  DashboardPersonRepository,
  DashboardSessionRepository,
  FaceClusterRepository,
  FaceIdentityRepository,
  FaceReviewRepository,
  ImageProcessingRepository,
  ImageRepository,
  ImageRetryRepository,
  LockRepository,
  OutcomeEventRepository,
  PersonImageRepository,
  PersonRepository,
  RedescriptionRepository,
];
