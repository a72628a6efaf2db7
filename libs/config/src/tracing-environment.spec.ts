import { describe, expect, it } from 'vitest';
import { tracingEnvironment } from './tracing-environment';

describe('tracingEnvironment', () => {
  it('turns tracing on with an endpoint and keeps an empty variable unset', () => {
    expect(tracingEnvironment({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SERVICE_NAME: 'faces' })).toEqual({
      endpoint: 'http://collector:4318',
      serviceName: 'faces',
    });
    expect(tracingEnvironment({ OTEL_EXPORTER_OTLP_ENDPOINT: '', OTEL_SERVICE_NAME: '' })).toEqual({ endpoint: undefined, serviceName: undefined });
  });
});
