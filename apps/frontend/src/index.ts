export { createFrontendApp } from './frontend.app';
export type { FrontendAppOptions } from './frontend.app';
export { FrontendModule } from './frontend.module';
export type { FrontendModuleOptions } from './frontend.module';
