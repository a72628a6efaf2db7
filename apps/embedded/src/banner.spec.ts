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

  it('ends with how to sign in: the generated admin key itself, ADMIN_API_KEY, or how to make a new admin key', () => {
    const ports = { receiver: 1, frontend: 2, processorHealth: 3, grpc: 4, recognizerHealth: 5 };
    const generated = startupBanner(parseConfig({}), ports, 'vsk_generated').split('\n');
    expect(generated.at(-1)?.trim()).toBe('vsk_generated');
    expect(generated.at(-2)).toMatch(/sign in .*shown this once/);
    expect(
      startupBanner(parseConfig({ ADMIN_API_KEY: 'vsk_Qm3xT8pLw2Zr7Nc5Hy1Jd4Kf6Bv9Gs0A' }), ports)
        .split('\n')
        .at(-1),
    ).toMatch(/sign in +with ADMIN_API_KEY$/);
    expect(startupBanner(parseConfig({}), ports).split('\n').at(-1)).toMatch(/npm run keys -- create --name admin --scope admin$/);
    expect(
      startupBanner(parseConfig({ AUTH: 'off' }), ports)
        .split('\n')
        .at(-1),
    ).toMatch(/AUTH=off/);
  });
});
