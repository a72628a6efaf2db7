import { Module } from '@nestjs/common';
import { EnrolmentModule } from '@visage/enrolment';
import { PersonsController } from './persons.controller';
import { PersonsService } from './persons.service';
import { UploadsModule } from '../uploads/uploads.module';

/** PersonRepository comes from the global PersistenceModule, the recognizer client from RecognizerClientModule. */
@Module({
  imports: [EnrolmentModule.forRoot(), UploadsModule],
  controllers: [PersonsController],
  providers: [PersonsService],
  exports: [PersonsService],
})
export class PersonsModule {}
