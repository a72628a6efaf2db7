import { DynamicModule, Module } from '@nestjs/common';
import { EnrolmentService } from './enrolment.service';
import { KnownFacesEnroller } from './known-faces.enroller';

/**
 * {@link EnrolmentService} and {@link KnownFacesEnroller}. Needs, elsewhere in the app: `ConfigModule.forRoot()`,
 * `PersistenceModule.forRoot()` (the repositories) and `RecognizerClientModule.forRoot()` (the FACE_ANALYZER).
 * When the known folder is enrolled is the image processor's start-up business (one replica at a time, before
 * it consumes).
 */
@Module({})
export class EnrolmentModule {
  static forRoot(): DynamicModule {
    return {
      module: EnrolmentModule,
      providers: [EnrolmentService, KnownFacesEnroller],
      exports: [EnrolmentService, KnownFacesEnroller],
    };
  }
}
