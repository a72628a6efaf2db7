import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { trustProxySetting } from '@visage/auth';
import { AppOptions, VisageConfig } from '@visage/config';
import { appLogger } from '@visage/observability';
import { PUBLIC_DIR, VIEWS_DIR } from './common/asset-paths';
import { securityHeaders } from './common/security-headers';
import { createViewEngine } from './common/view-engine';
import { FrontendModule } from './frontend.module';

export type FrontendAppOptions = AppOptions;

/** Builds (does not start) the dashboard app; call `.listen(config.FRONTEND_PORT)` on the result. */
export async function createFrontendApp(config: VisageConfig, options: FrontendAppOptions = {}): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(FrontendModule.forRoot({ config }), {
    // Throw instead of exiting the process: the embedded launcher and the tests decide what a failure means.
    abortOnError: false,
    logger: options.logger ?? appLogger(config, 'frontend'),
  });
  app.disable('x-powered-by');
  // TLS and the client address as a trusted ingress saw them: the session cookie is Secure behind TLS.
  app.set('trust proxy', trustProxySetting(config));
  app.use(securityHeaders);
  app.useStaticAssets(PUBLIC_DIR, { prefix: '/static/', maxAge: config.NODE_ENV === 'production' ? '1h' : 0 });
  const engine = createViewEngine(VIEWS_DIR);
  app.engine('hbs', engine.__express);
  app.setBaseViewsDir(VIEWS_DIR);
  app.setViewEngine('hbs');
  // Express only caches compiled templates when process.env.NODE_ENV is "production"; follow our config instead.
  app.set('view cache', config.NODE_ENV !== 'development');
  return app;
}
