import { ApiKeyEntity } from './access/api-key.entity';
import { AuditEventEntity } from './access/audit-event.entity';
import { DashboardSessionEntity } from './access/dashboard-session.entity';
import { FaceEntity } from './images/face.entity';
import { ForgottenKnownFaceEntity } from './people/forgotten-known-face.entity';
import { FaceRejectionEntity } from './review/face-rejection.entity';
import { ClusterExclusionEntity, ClusteringStateEntity, ClusterMemberEntity, FaceClusterEntity } from './review/face-cluster.entity';
import { GalleryChangeEntity } from './people/gallery-change.entity';
import { GalleryStateEntity } from './people/gallery-state.entity';
import { ImageEntity } from './images/image.entity';
import { OutcomeEventEntity, OutcomeEventFaceEntity, WebhookDeliveryEntity } from './events/outcome-event.entity';
import { PersonImageEntity } from './people/person-image.entity';
import { PersonEntity } from './people/person.entity';

/** Every entity, registered once with the DataSource; each feature folder exports its own. */
export const ENTITIES = [
  ImageEntity,
  PersonEntity,
  PersonImageEntity,
  FaceEntity,
  GalleryStateEntity,
  GalleryChangeEntity,
  FaceRejectionEntity,
  FaceClusterEntity,
  ClusterMemberEntity,
  ClusterExclusionEntity,
  ClusteringStateEntity,
  OutcomeEventEntity,
  OutcomeEventFaceEntity,
  WebhookDeliveryEntity,
  ApiKeyEntity,
  AuditEventEntity,
  DashboardSessionEntity,
  ForgottenKnownFaceEntity,
];
