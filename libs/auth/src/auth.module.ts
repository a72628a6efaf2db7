import { DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { ConfigService } from '@visage/config';
import { AdminKeyBootstrap } from './admin-key-bootstrap';
import { ApiKeyGuard } from './api-key.guard';
import { ApiKeyService } from './api-key.service';
import { AuthFailureLimiter } from './auth-failure-limiter';
import { SubmissionThrottlerGuard } from './submission-throttler.guard';

const SUBMIT_WINDOW_MS = 60_000;

/** Global, so feature modules inject ApiKeyService. An app's keys, its admin-key bootstrap and the failed-authentication limiter; needs PersistenceModule and ConfigModule. */
function authCore(): Pick<DynamicModule, 'imports' | 'providers' | 'exports'> {
  return {
    imports: [
      ThrottlerModule.forRootAsync({
        inject: [ConfigService],
        useFactory: (config: ConfigService) => ({ throttlers: [{ ttl: SUBMIT_WINDOW_MS, limit: config.get('RATE_LIMIT_SUBMIT_PER_MINUTE') }] }),
      }),
    ],
    providers: [ApiKeyService, AdminKeyBootstrap, AuthFailureLimiter],
    exports: [ApiKeyService, AuthFailureLimiter],
  };
}

@Module({})
export class AuthModule {
  /**
   * An API: every route checked by ApiKeyGuard (`@Scope` / `@Public`), then submissions rate-limited per key.
   * The guards run in this order for every route of the app.
   */
  static forApi(): DynamicModule {
    const core = authCore();
    return {
      module: AuthModule,
      global: true,
      ...core,
      providers: [
        ...(core.providers ?? []),
        { provide: APP_GUARD, useClass: ApiKeyGuard },
        { provide: APP_GUARD, useClass: SubmissionThrottlerGuard },
      ],
    };
  }

  /** The dashboard: keys to sign in with and the limiter; it brings its own session guard. */
  static forDashboard(): DynamicModule {
    return { module: AuthModule, global: true, ...authCore() };
  }

  /** `npm run keys`: the keys alone, without an app's start-up (no admin-key bootstrap, no AUTH=off warning). */
  static forKeysCli(): DynamicModule {
    return { module: AuthModule, providers: [ApiKeyService], exports: [ApiKeyService] };
  }
}
