import { describe, expect, it } from 'vitest';
import { parseConfig } from '@visage/config';
import { startupBanner } from './banner';

describe('startupBanner', () => {
  it('lists every port the embedded process listens on, the processor health port included', () => {
    const ports = { receiver: 18000, frontend: 18081, processorHealth: 18082, grpc: 15051, recognizerHealth: 18083 };
    const banner = startupBanner(parseConfig({}), ports);
    for (const port of Object.values(ports)) expect(banner).toContain(`:${port}`);
    expect(banner).toContain('processor     health http://localhost:18082/health/ready');
  });
});
