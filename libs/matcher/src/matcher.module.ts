import { DynamicModule, Module, Provider } from '@nestjs/common';
import { ConfigService } from '@visage/config';
import { PersonImageRepository } from '@visage/persistence';
import { GALLERY_SOURCE, GallerySource } from './gallery-source';
import { EnrolmentIndex } from './enrolment-index';
import { GalleryService } from './gallery.service';

/** Injection token of the {@link FaceMatcher} port; resolves to the {@link GalleryService}. */
export const FACE_MATCHER = Symbol('FACE_MATCHER');

/**
 * `MatcherModule.forRoot()`: a {@link GalleryService} fed by {@link PersonImageRepository} (from the app's
 * `PersistenceModule.forRoot()`). Pass `source` to feed it from elsewhere.
 */
@Module({})
export class MatcherModule {
  static forRoot(options: { source?: Provider } = {}): DynamicModule {
    const sourceProvider: Provider = options.source ?? { provide: GALLERY_SOURCE, useExisting: PersonImageRepository };
    return {
      module: MatcherModule,
      providers: [
        sourceProvider,
        {
          provide: GalleryService,
          inject: [GALLERY_SOURCE, ConfigService],
          useFactory: (source: GallerySource, config: ConfigService) =>
            new GalleryService(source, { threshold: config.get('MATCH_THRESHOLD'), refreshMs: config.get('GALLERY_REFRESH_MS') }),
        },
        { provide: FACE_MATCHER, useExisting: GalleryService },
      ],
      exports: [GalleryService, FACE_MATCHER],
    };
  }

  /**
   * `MatcherModule.forReview()`: one {@link EnrolmentIndex} for the whole app (global), for the apps that check
   * the review's corrections and flag persons (receiver, dashboard) without holding a polled gallery.
   */
  static forReview(): DynamicModule {
    return { module: MatcherModule, global: true, providers: [EnrolmentIndex], exports: [EnrolmentIndex] };
  }
}
