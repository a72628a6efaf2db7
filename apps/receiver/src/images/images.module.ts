import { Module } from '@nestjs/common';
import { ImagesController } from './images.controller';
import { ImagesService } from './images.service';
import { UploadsModule } from '../uploads/uploads.module';

/** Repositories come from the global PersistenceModule, publishing from the global ImageQueueModule. */
@Module({
  imports: [UploadsModule],
  controllers: [ImagesController],
  providers: [ImagesService],
})
export class ImagesModule {}
