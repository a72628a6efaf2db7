import { readinessCheck } from '@visage/health';
import { AnalysisService } from '../analysis/analysis.service';

/** `/health/ready` check "models": every worker has loaded the face models. */
export const modelsReadiness = readinessCheck('models', [AnalysisService], (analysis: AnalysisService) => {
  const details = { backend: analysis.pool.backend ?? 'loading', workers: analysis.pool.size, queued: analysis.pool.queued };
  return analysis.ready ? { up: true, details } : { up: false, details: { ...details, reason: analysis.failure?.message ?? 'models are loading' } };
});
