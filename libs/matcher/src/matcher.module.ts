import { DynamicModule, Module, Provider } from '@nestjs/common';
import { ConfigService, VisageConfig } from '@visage/config';
import { MatchRule } from '@visage/domain';
import { PersonImageRepository } from '@visage/persistence';
import { GALLERY_SOURCE, GallerySource } from './gallery-source';
import { GalleryService } from './gallery.service';

/** The match rule the configuration sets (MATCH_THRESHOLD, MATCH_MARGIN). */
export function matchRuleOf(config: Pick<VisageConfig, 'MATCH_THRESHOLD' | 'MATCH_MARGIN'>): MatchRule {
  return { threshold: config.MATCH_THRESHOLD, margin: config.MATCH_MARGIN };
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
}
