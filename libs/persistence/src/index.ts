export * from './entities';
export * from './repositories/person-image.repository';
