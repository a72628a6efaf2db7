import { Global, Module } from '@nestjs/common';
import { AnalysisService } from './analysis.service';
import { FaceAnalysisGrpcServer } from './face-analysis.grpc-server';

/** Global so the health module's readiness factory can inject {@link AnalysisService}. */
@Global()
@Module({
  providers: [AnalysisService, FaceAnalysisGrpcServer],
  exports: [AnalysisService, FaceAnalysisGrpcServer],
})
export class AnalysisModule {}
