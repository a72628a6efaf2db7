export * from './face-rejection.entity';
export * from './face-cluster.entity';
export * from './face-identity.repository';
export * from './face-review.repository';
export * from './face-cluster.repository';
export * from './clustering.repository';
export * from './cluster-cursor';
export { recountClusters } from './cluster-statements';
