import { VisageConfig } from '@visage/config';
import { EmbeddedVisage } from './embedded';

/** How to sign in, the banner's last line(s): the key this start generated is shown here, after every other log line. */
function signIn(config: VisageConfig, generatedAdminKey: string | undefined): string[] {
  if (config.AUTH === 'off') return ['  sign in       not needed: AUTH=off (every route is open)'];
  if (generatedAdminKey) {
    return [
      '  sign in       with this admin key (dashboard, and the API as "Authorization: Bearer <key>"); shown this once, store it now:',
      `                ${generatedAdminKey}`,
    ];
  }
  if (config.ADMIN_API_KEY) return ['  sign in       with ADMIN_API_KEY'];
  return ['  sign in       with your admin key; lost it? npm run build && npm run keys -- create --name admin --scope admin'];
}

/**
 * What `npm start` prints once every app listens: each address a user may open or probe, with the bound ports, and
 * last how to sign in (with the admin key the first start generated, so it is not lost among the start-up logs).
 */
export function startupBanner(config: VisageConfig, ports: EmbeddedVisage['ports'], generatedAdminKey?: string): string {
  return [
    `running on ${config.database.type} with the ${config.queue.driver} queue; images under ${config.storage.imagesRoot}`,
    `  receiver API  http://localhost:${ports.receiver}  (docs /docs)`,
    `  dashboard     http://localhost:${ports.frontend}`,
    `  processor     health http://localhost:${ports.processorHealth}/health/ready`,
    `  recognizer    gRPC :${ports.grpc}, health http://localhost:${ports.recognizerHealth}/health/ready`,
    ...signIn(config, generatedAdminKey),
  ].join('\n');
}
