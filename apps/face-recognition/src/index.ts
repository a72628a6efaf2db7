export * from './face-recognition.app';
export { RecognizerPool, PoolError, AnalysisFailedError } from './analysis/recognizer-pool';
