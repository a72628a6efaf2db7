import { VisageConfig } from '@visage/config';
import { EmbeddedVisage } from './embedded';

/** What `npm start` prints once every app listens: each address a user may open or probe, with the bound ports. */
export function startupBanner(config: VisageConfig, ports: EmbeddedVisage['ports']): string {
  return [
    `running on ${config.database.type} with the ${config.queue.driver} queue; images under ${config.IMAGES_ROOT}`,
    `  receiver API  http://localhost:${ports.receiver}  (docs /docs)`,
    `  dashboard     http://localhost:${ports.frontend}`,
    `  processor     health http://localhost:${ports.processorHealth}/health/ready`,
    `  recognizer    gRPC :${ports.grpc}, health http://localhost:${ports.recognizerHealth}/health/ready`,
  ].join('\n');
}
