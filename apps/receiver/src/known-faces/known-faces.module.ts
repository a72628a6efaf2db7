import { Module } from '@nestjs/common';
import { EnrolmentModule } from '@visage/enrolment';
import { KnownFacesController } from './known-faces.controller';

/** `POST /known-faces/rescan`; the enroller needs the recognizer client (RecognizerClientModule, global). */
@Module({
  imports: [EnrolmentModule.forRoot()],
  controllers: [KnownFacesController],
})
export class KnownFacesModule {}
