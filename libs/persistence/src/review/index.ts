export * from './face-rejection.entity';
export * from './face-cluster.entity';
export * from './face-identity.repository';
export * from './face-review.repository';
export * from './face-cluster.repository';
