import { FaceEntity } from './face.entity';
import { ImageEntity } from './image.entity';
import { PersonImageEntity } from './person-image.entity';
import { PersonEntity } from './person.entity';

export { FaceEntity, ImageEntity, PersonEntity, PersonImageEntity };
export const ENTITIES = [ImageEntity, PersonEntity, PersonImageEntity, FaceEntity];
