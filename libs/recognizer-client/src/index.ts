export * from './face-proto';
export * from './status-mapping';
export * from './grpc-face-analyzer';
export * from './recognizer-client.module';
export * from './recognizer-credentials';
