import { readinessCheck } from '@visage/health';
import { NO_GALLERY_VERSION } from '@visage/matcher';
import { ProcessorStartup } from '../startup/processor-startup.service';

/**
 * `/health/ready` check "gallery": down while the start-up gating holds the consumer (its stage says why), up
 * once the processor consumes; both show the gallery's version (null before the first load), descriptors and
 * persons.
 */
export const galleryReadiness = readinessCheck('gallery', [ProcessorStartup], (startup: ProcessorStartup) => {
  const { stage, version, descriptors, persons } = startup.status();
  return { up: stage === 'consuming', details: { stage, version: version === NO_GALLERY_VERSION ? null : version, descriptors, persons } };
});
