import { Module } from '@nestjs/common';
import { EnrolmentModule } from '@visage/enrolment';
import { KnownFacesController } from './known-faces.controller';
import { KnownFacesService } from './known-faces.service';

/**
 * `POST /known-faces/rescan` and `DELETE /known-faces/forgotten`; the enroller needs the recognizer client
 * (RecognizerClientModule, global), the repositories come from the global PersistenceModule.
 */
@Module({
  imports: [EnrolmentModule.forRoot()],
  controllers: [KnownFacesController],
  providers: [KnownFacesService],
})
export class KnownFacesModule {}
