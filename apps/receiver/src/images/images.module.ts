import { Module } from '@nestjs/common';
import { ImagePublisher } from './image-publisher';
import { ImagesController } from './images.controller';
import { ImagesService } from './images.service';

/** ImageRepository comes from the global PersistenceModule, QUEUE_CLIENT from the global queue module. */
@Module({
  controllers: [ImagesController],
  providers: [ImagesService, ImagePublisher],
  exports: [ImagePublisher],
})
export class ImagesModule {}
