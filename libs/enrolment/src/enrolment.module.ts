import { DynamicModule, Inject, Injectable, Logger, Module, OnApplicationBootstrap } from '@nestjs/common';
import { EnrolmentService } from './enrolment.service';
import { KnownFacesEnroller } from './known-faces.enroller';

export interface EnrolmentModuleOptions {
  /** Enrol KNOWN_FACES_DIR in the background once the app has started (waits for the recognizer). */
  enrolKnownFacesOnStart?: boolean;
}

@Injectable()
class KnownFacesOnStart implements OnApplicationBootstrap {
  constructor(@Inject(KnownFacesEnroller) private readonly enroller: KnownFacesEnroller) {}

  onApplicationBootstrap(): void {
    // In the background: the app must not wait for the recognizer's models to start serving HTTP.
    this.enroller.enrolWhenServing().catch((error: Error) => Logger.error(`known faces enrolment failed: ${error.message}`, 'KnownFaces'));
  }
}

/**
 * {@link EnrolmentService} and {@link KnownFacesEnroller}. Needs, elsewhere in the app: `ConfigModule.forRoot()`,
 * `PersistenceModule.forRoot()` (the repositories) and `RecognizerClientModule.forRoot()` (the FACE_ANALYZER).
 */
@Module({})
export class EnrolmentModule {
  static forRoot(options: EnrolmentModuleOptions = {}): DynamicModule {
    return {
      module: EnrolmentModule,
      providers: [EnrolmentService, KnownFacesEnroller, ...(options.enrolKnownFacesOnStart ? [KnownFacesOnStart] : [])],
      exports: [EnrolmentService, KnownFacesEnroller],
    };
  }
}
