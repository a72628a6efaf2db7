import { Module } from '@nestjs/common';
import { ClustersController } from './clusters.controller';
import { EnrolmentChecks } from '../faces/enrolment-checks';
import { ClustersService } from './clusters.service';

/** Unknown people; the repositories come from the global PersistenceModule. */
@Module({
  controllers: [ClustersController],
  providers: [ClustersService, EnrolmentChecks],
})
export class ClustersModule {}
