import { Module } from '@nestjs/common';
import { ImagesController } from './images.controller';
import { ImagesService } from './images.service';

/** Repositories come from the global PersistenceModule, publishing from the global ImageQueueModule. */
@Module({
  controllers: [ImagesController],
  providers: [ImagesService],
})
export class ImagesModule {}
