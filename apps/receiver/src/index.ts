export { createReceiverApp } from './receiver.app';
export type { ReceiverAppOptions } from './receiver.app';
export { ReceiverModule } from './receiver.module';
export type { ReceiverModuleOptions } from './receiver.module';
