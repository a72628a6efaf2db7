import 'reflect-metadata';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PATH_METADATA } from '@nestjs/common/constants';
import { HealthController } from '@visage/health';
import { describe, expect, it } from 'vitest';
import { APP_NAMES, DEPLOYABLE_APPS, HEALTH_PATHS } from '../apps';
import { readRepoFile, REPO_ROOT } from './support';

/**
 * The probes in compose and Kubernetes are only as good as the routes and ports behind them: the health paths must
 * be the ones `@visage/health` serves, and each app must serve them on the port variable the manifests probe.
 */

function routeOf(handler: keyof HealthController): string {
  const controllerPath = Reflect.getMetadata(PATH_METADATA, HealthController) as string;
  const methodPath = Reflect.getMetadata(PATH_METADATA, HealthController.prototype[handler]) as string;
  return `/${controllerPath}/${methodPath}`.replace(/\/+/g, '/');
}

/** Production sources of an app (no specs), concatenated. */
function appSource(app: string): string {
  const root = resolve(REPO_ROOT, 'apps', app, 'src');
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts')) files.push(path);
    }
  };
  walk(root);
  return files.map((file) => readFileSync(file, 'utf8')).join('\n');
}

describe('health contract between the apps and the deployments', () => {
  it('probes the routes @visage/health serves', () => {
    expect(routeOf('live')).toBe(HEALTH_PATHS.live);
    expect(routeOf('ready')).toBe(HEALTH_PATHS.ready);
  });

  it('describes exactly the apps nest-cli.json builds (besides the embedded all-in-one)', () => {
    const projects = (JSON.parse(readRepoFile('nest-cli.json')) as { projects: Record<string, { type: string }> }).projects;
    const applications = Object.entries(projects)
      .filter(([name, project]) => project.type === 'application' && name !== 'embedded')
      .map(([name]) => name)
      .sort();
    expect([...APP_NAMES].sort()).toEqual(applications);
  });

  it('lists in nest-cli.json every app and lib the repository holds', () => {
    const projects = (JSON.parse(readRepoFile('nest-cli.json')) as { projects: Record<string, { type: string; root: string }> }).projects;
    const roots = Object.values(projects)
      .map((project) => project.root)
      .sort();
    const folders = ['apps', 'libs'].flatMap((parent) => readdirSync(resolve(REPO_ROOT, parent)).map((name) => `${parent}/${name}`)).sort();
    expect(roots).toEqual(folders);
  });

  // Each app lands on its own branch; on a branch without it there is nothing to compare yet.
  describe.each(APP_NAMES)('%s', (app) => {
    const present = existsSync(resolve(REPO_ROOT, 'apps', app, 'src', 'main.ts'));

    it.runIf(present)('mounts the shared health module and listens on the probed port variable', () => {
      const source = appSource(app);
      expect(source).toMatch(/HealthModule\.forRoot\(/);
      expect(source).toContain(DEPLOYABLE_APPS[app].healthPortVar);
      const grpcPortVar = DEPLOYABLE_APPS[app].grpcPortVar;
      if (grpcPortVar) {
        expect(source).toContain(grpcPortVar);
        // The native Kubernetes gRPC probe asks the standard grpc.health.v1 service.
        expect(source).toMatch(/grpc-health-check|grpc\.health\.v1/);
      }
    });
  });
});
