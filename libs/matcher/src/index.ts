export * from './gallery';
export * from './gallery-source';
export * from './gallery.service';
export * from './matcher.module';
export * from './gallery-delta';
export * from './match-pool';
export * from './clustering';
export * from './joint-assignment';
