import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { AuthModule } from '@visage/auth';
import { AppModuleOptions, ConfigModule } from '@visage/config';
import { HealthModule } from '@visage/health';
import { MatcherModule } from '@visage/matcher';
import { ObservabilityModule } from '@visage/observability';
import { databaseReadiness, PersistenceModule } from '@visage/persistence';
import { AuthController } from './auth/auth.controller';
import { DashboardAuthGuard } from './auth/dashboard-auth.guard';
import { SessionService } from './auth/session.service';
import { FrontendErrorFilter } from './common/error.filter';
import { RedescriptionNoticeService } from './descriptors/redescription-notice.service';
import { ImagesApiController } from './images/images-api.controller';
import { ImagesController } from './images/images.controller';
import { ImagesService } from './images/images.service';
import { PersonsController } from './persons/persons.controller';
import { PersonsService } from './persons/persons.service';
import { ReceiverApiClient } from './receiver/receiver-api.client';
import { FaceCropService } from './review/face-crop.service';
import { ReviewController } from './review/review.controller';
import { ReviewService } from './review/review.service';
import { ThumbnailsController } from './thumbnails/thumbnails.controller';
import { ThumbnailService } from './thumbnails/thumbnail.service';

export type FrontendModuleOptions = AppModuleOptions;

@Module({})
export class FrontendModule {
  static forRoot(options: FrontendModuleOptions): DynamicModule {
    return {
      module: FrontendModule,
      imports: [
        ConfigModule.forRoot(options.config),
        PersistenceModule.forRoot(),
        HealthModule.forRoot(databaseReadiness),
        ObservabilityModule.forRoot({ app: 'frontend' }),
        AuthModule.forDashboard(),
        // Enrolments as the people page flags them (read on demand, cached per gallery version).
        MatcherModule.forReview(),
      ],
      controllers: [AuthController, ImagesController, ImagesApiController, PersonsController, ThumbnailsController, ReviewController],
      providers: [
        { provide: APP_FILTER, useClass: FrontendErrorFilter },
        // Every page, thumbnail, crop and action needs a session of the route's scope; forms carry its CSRF token.
        { provide: APP_GUARD, useClass: DashboardAuthGuard },
        SessionService,
        ReceiverApiClient,
        ThumbnailService,
        ImagesService,
        PersonsService,
        ReviewService,
        FaceCropService,
        RedescriptionNoticeService,
      ],
    };
  }
}
