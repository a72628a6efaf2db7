export { PersonEntity } from './person.entity';
export * from './person-image.entity';
export * from './forgotten-known-face.entity';
export * from './gallery-state.entity';
export * from './gallery-change.entity';
export * from './person.repository';
export * from './person-image.repository';
export * from './gallery-version';
export * from './dashboard-person.repository';
