import 'reflect-metadata';
import './instrument';
import { loadConfig, requireRecognizerToken, runMain } from '@visage/config';
import { createFaceRecognitionApp } from './face-recognition.app';

runMain('FaceRecognition', async () => {
  const config = loadConfig();
  requireRecognizerToken(config);
  const app = await createFaceRecognitionApp(config);
  app.nest.enableShutdownHooks();
  const { grpcPort, healthPort } = await app.start();
  return `gRPC on :${grpcPort} (health: grpc.health.v1 and http :${healthPort}/health/ready); models loading in the workers`;
});
