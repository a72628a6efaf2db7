export { createFrontendApp } from './frontend.app';
export type { CreateFrontendAppOptions } from './frontend.app';
export { FrontendModule } from './frontend.module';
