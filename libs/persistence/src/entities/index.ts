import { FaceEntity } from './face.entity';
import { GalleryChangeEntity } from './gallery-change.entity';
import { GalleryStateEntity } from './gallery-state.entity';
import { ImageEntity } from './image.entity';
import { PersonImageEntity } from './person-image.entity';
import { PersonEntity } from './person.entity';

export { FaceEntity, GalleryChangeEntity, GalleryStateEntity, ImageEntity, PersonEntity, PersonImageEntity };
export const ENTITIES = [ImageEntity, PersonEntity, PersonImageEntity, FaceEntity, GalleryStateEntity, GalleryChangeEntity];
