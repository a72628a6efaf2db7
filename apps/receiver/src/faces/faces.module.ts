import { Module } from '@nestjs/common';
import { FacesController } from './faces.controller';
import { EnrolmentChecks } from './enrolment-checks';
import { FacesService } from './faces.service';

/** Face review; FaceReviewRepository and PersonImageRepository come from the global PersistenceModule. */
@Module({
  controllers: [FacesController],
  providers: [FacesService, EnrolmentChecks],
})
export class FacesModule {}
