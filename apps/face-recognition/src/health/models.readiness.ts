import { readinessCheck } from '@visage/health';
import { AnalysisService } from '../analysis/analysis.service';

/** `/health/ready` check "models": every worker has loaded the face models; names the engine they run. */
export const modelsReadiness = readinessCheck('models', [AnalysisService], (analysis: AnalysisService) => {
  const details = { engine: analysis.pool.engine ?? 'loading', workers: analysis.pool.size, queued: analysis.pool.queued };
  return analysis.ready ? { up: true, details } : { up: false, details: { ...details, reason: analysis.failure?.message ?? 'models are loading' } };
});
