import { readinessCheck } from '@visage/health';
import { RedescriptionJob } from './redescription.job';

/**
 * `/health/ready` check "descriptors": always up — faces waiting for their re-description keep their identity and
 * new images are matched normally — with the configured recipe and how many enrolments and faces are of it, still
 * waiting, or could not be re-described (read from the database on each probe: two indexed counts).
 */
export const redescriptionReadiness = readinessCheck('descriptors', [RedescriptionJob], async (job: RedescriptionJob) => ({
  up: true,
  details: { ...(await job.readProgress()) },
}));
