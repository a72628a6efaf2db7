import { DynamicModule, Module, Provider } from '@nestjs/common';
import { ConfigService, VisageConfig } from '@visage/config';
import { FaceQualityRule, MatchRule } from '@visage/domain';
import { PersonImageRepository } from '@visage/persistence';
import { GALLERY_SOURCE, GallerySource } from './gallery-source';
import { EnrolmentIndex } from './enrolment-index';
import { GalleryService } from './gallery.service';

/** The match rule the configuration sets (MATCH_THRESHOLD, MATCH_MARGIN). */
export function matchRuleOf(config: Pick<VisageConfig, 'MATCH_THRESHOLD' | 'MATCH_MARGIN'>): MatchRule {
  return { threshold: config.MATCH_THRESHOLD, margin: config.MATCH_MARGIN };
}

/** The face quality rule the configuration sets (QUALITY_*). */
export function qualityRuleOf(
  config: Pick<VisageConfig, 'QUALITY_MIN_FACE_PX' | 'QUALITY_MIN_SCORE' | 'QUALITY_MIN_SHARPNESS' | 'QUALITY_MAX_YAW' | 'QUALITY_MAX_PITCH'>,
): FaceQualityRule {
  return {
    minSize: config.QUALITY_MIN_FACE_PX,
    minScore: config.QUALITY_MIN_SCORE,
    minSharpness: config.QUALITY_MIN_SHARPNESS,
    maxYaw: config.QUALITY_MAX_YAW,
    maxPitch: config.QUALITY_MAX_PITCH,
  };
}

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
            new GalleryService(source, { rule: matchRuleOf(config.values), refreshMs: config.get('GALLERY_REFRESH_MS') }),
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
