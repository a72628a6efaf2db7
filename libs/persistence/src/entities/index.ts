import { ApiKeyEntity } from './api-key.entity';
import { AuditEventEntity } from './audit-event.entity';
import { DashboardSessionEntity } from './dashboard-session.entity';
import { FaceEntity } from './face.entity';
import { ForgottenKnownFaceEntity } from './forgotten-known-face.entity';
import { FaceRejectionEntity } from './face-rejection.entity';
import { ClusterMemberEntity, FaceClusterEntity } from './face-cluster.entity';
import { GalleryChangeEntity } from './gallery-change.entity';
import { GalleryStateEntity } from './gallery-state.entity';
import { ImageEntity } from './image.entity';
import { OutcomeEventEntity, OutcomeEventFaceEntity, WebhookDeliveryEntity } from './outcome-event.entity';
import { PersonImageEntity } from './person-image.entity';
import { PersonEntity } from './person.entity';

export { ApiKeyEntity, AuditEventEntity, DashboardSessionEntity, ClusterMemberEntity, FaceClusterEntity, FaceEntity, FaceRejectionEntity, ForgottenKnownFaceEntity, GalleryChangeEntity, GalleryStateEntity, ImageEntity, OutcomeEventEntity, OutcomeEventFaceEntity, PersonEntity, PersonImageEntity, WebhookDeliveryEntity };
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
  OutcomeEventEntity,
  OutcomeEventFaceEntity,
  WebhookDeliveryEntity,
  ApiKeyEntity,
  AuditEventEntity,
  DashboardSessionEntity,
  ForgottenKnownFaceEntity,
];
