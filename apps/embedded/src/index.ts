export { startEmbedded } from './embedded';
export type { EmbeddedVisage } from './embedded';
