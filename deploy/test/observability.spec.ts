import type { IScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject';
import type { IServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { IService } from 'kubernetes-models/v1/Service';
import { configSchema } from '@visage/config';
import { beforeAll, describe, expect, it } from 'vitest';
import { APP_NAMES, DEPLOYABLE_APPS } from '../apps';
import { kubernetesSchemaProblems } from './kubernetes-schema';
import { parse as parseYaml } from 'yaml';
import {
  byKind,
  containerEnvironment,
  findObject,
  OVERLAYS,
  readRepoFile,
  renderCompose,
  renderOverlay,
  selectedWorkloads,
  workloads,
  type ComposeService,
  type K8sObject,
} from './support';

/** Scraping, the dashboard and the queue-depth autoscaler of the manifests (docs/observability.md). */

const rendered = new Map<string, K8sObject[]>();
beforeAll(() => {
  for (const overlay of OVERLAYS) rendered.set(overlay, renderOverlay(overlay));
});
const defaults = configSchema.parse({});

function healthPortOf(objects: K8sObject[], app: string): number {
  const workload = workloads(objects).find((candidate) => candidate.name === app)!;
  const env = containerEnvironment(objects, workload.template.spec!.containers[0]);
  return Number(env[DEPLOYABLE_APPS[app as keyof typeof DEPLOYABLE_APPS].healthPortVar]);
}

describe.each(OVERLAYS)('observability in overlay %s', (overlay) => {
  const objects = () => rendered.get(overlay)!;

  it.each(APP_NAMES)('%s pods carry the Prometheus scrape annotations for /metrics on their HTTP port', (app) => {
    const workload = workloads(objects()).find((candidate) => candidate.name === app)!;
    expect(workload.template.metadata?.annotations).toEqual({
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': String(healthPortOf(objects(), app)),
      'prometheus.io/path': '/metrics',
    });
  });

  it('lets the monitoring namespace reach every app port that serves /metrics', () => {
    const policy = findObject<INetworkPolicy>(objects(), 'NetworkPolicy', 'allow-metrics-scrape')!;
    const allowed = policy.spec!.ingress![0].ports!.map((port) => port.port);
    const pods = selectedWorkloads(objects(), policy.spec!.podSelector)
      .map((workload) => workload.name)
      .sort();
    expect(pods).toEqual([...APP_NAMES].sort());
    for (const app of APP_NAMES) expect(allowed, app).toContain(healthPortOf(objects(), app));
  });
});

describe('prod: Prometheus Operator and KEDA', () => {
  const objects = () => rendered.get('prod')!;

  it('has one ServiceMonitor whose Services select each app and name its /metrics port', async () => {
    const [monitor, ...others] = byKind<IServiceMonitor>(objects(), 'ServiceMonitor');
    expect(others).toEqual([]);
    expect(await kubernetesSchemaProblems(monitor as unknown as K8sObject)).toEqual([]);
    const selected = byKind<IService>(objects(), 'Service').filter((service) =>
      Object.entries(monitor.spec.selector.matchLabels ?? {}).every(([key, value]) => service.metadata?.labels?.[key] === value),
    );
    const endpoint = monitor.spec.endpoints![0];
    expect(endpoint.path).toBe('/metrics');
    const scraped = selected.flatMap((service) => {
      const port = service.spec!.ports!.find((candidate) => candidate.name === endpoint.port)!;
      return selectedWorkloads(objects(), service.spec!.selector ?? {}).map((workload) => {
        expect(port.targetPort, workload.name).toBe(healthPortOf(objects(), workload.name));
        return workload.name;
      });
    });
    expect(scraped.sort()).toEqual([...APP_NAMES].sort());
  });

  it('scales the image-processor on its NSQ channel depth with a KEDA ScaledObject (nsq scaler) instead of a CPU HPA', async () => {
    const [scaled, ...others] = byKind<IScaledObject>(objects(), 'ScaledObject');
    expect(others).toEqual([]);
    expect(await kubernetesSchemaProblems(scaled as unknown as K8sObject)).toEqual([]);
    expect(scaled.spec.scaleTargetRef.name).toBe('image-processor');
    expect(findObject(objects(), 'Deployment', 'image-processor')).toBeDefined();
    expect(findObject(objects(), 'HorizontalPodAutoscaler', 'image-processor')).toBeUndefined();
    const [trigger] = scaled.spec.triggers;
    expect(trigger.type).toBe('nsq');
    // The topic and channel the processor consumes, at nsqlookupd's HTTP port, namespace-qualified for KEDA.
    expect(trigger.metadata).toMatchObject({ topic: defaults.QUEUE_TOPIC, channel: defaults.QUEUE_CHANNEL });
    const namespace = findObject(objects(), 'Namespace', 'visage')!.metadata.name;
    const lookupdService = findObject<IService>(objects(), 'Service', 'nsqlookupd')!;
    const lookupdPort = lookupdService.spec!.ports!.find((port) => port.name === 'http')!.port;
    expect(trigger.metadata.nsqLookupdHTTPAddresses).toBe(`nsqlookupd.${namespace}.svc:${lookupdPort}`);
    expect(Number(trigger.metadata.depthThreshold)).toBeGreaterThan(0);
    expect(scaled.spec.minReplicaCount).toBeGreaterThanOrEqual(1);
    expect(scaled.spec.minReplicaCount!).toBeLessThanOrEqual(scaled.spec.maxReplicaCount!);
  });

  it('the KEDA schema refuses a ScaledObject without its target (the validator is really applied)', async () => {
    const broken = { apiVersion: 'keda.sh/v1alpha1', kind: 'ScaledObject', metadata: { name: 'x' }, spec: { triggers: [] } };
    expect((await kubernetesSchemaProblems(broken)).join('\n')).toMatch(/scaleTargetRef/);
  });
});

describe('Grafana dashboard and Prometheus config', () => {
  const dashboard = JSON.parse(readRepoFile('deploy/observability/grafana/visage-dashboard.json')) as {
    panels: Array<{ title: string; targets?: Array<{ expr: string }> }>;
  };
  const exprs = dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((target) => target.expr));

  it.each([
    'visage_images_submitted_total',
    'visage_image_outcomes_total',
    'visage_image_latency_seconds_bucket',
    'visage_breaker_state',
    'visage_recognizer_worker_busy_ratio',
    'visage_recognizer_stage_seconds_bucket',
    'visage_queue_in_flight',
    'visage_recognizer_queue_depth',
  ])('charts %s', (metric) => {
    expect(exprs.some((expr) => expr.includes(metric))).toBe(true);
  });

  it('charts only metrics the code defines', () => {
    const source = readRepoFile('libs/observability/src/metrics.ts');
    for (const metric of exprs.flatMap((expr) => expr.match(/visage_[a-z_]+/g) ?? [])) {
      expect(source, metric).toContain(`'${metric.replace(/_(bucket|sum|count)$/, '')}'`);
    }
  });

  it('has latency percentiles p50 and p95', () => {
    expect(exprs.some((expr) => expr.startsWith('histogram_quantile(0.5,') && expr.includes('visage_image_latency_seconds_bucket'))).toBe(true);
    expect(exprs.some((expr) => expr.startsWith('histogram_quantile(0.95,') && expr.includes('visage_image_latency_seconds_bucket'))).toBe(true);
  });
});

describe('compose observability profile', () => {
  const compose = renderCompose();
  const optional = (name: string) => compose.services[name] as ComposeService & { profiles?: string[] };

  it('adds Prometheus and Grafana only under the observability profile, preloaded from deploy/observability', () => {
    for (const name of ['prometheus', 'grafana']) expect(optional(name).profiles, name).toEqual(['observability']);
    const mounted = (name: string) =>
      (optional(name).volumes ?? []).flatMap((volume) =>
        typeof volume === 'string' ? [volume.split(':')[0]!] : volume.type === 'bind' ? [volume.source!] : [],
      );
    const prometheusConfig = mounted('prometheus').find((source) => source.endsWith('deploy/observability/prometheus.yml'));
    expect(prometheusConfig).toBeDefined();
    expect(mounted('grafana').some((source) => source.endsWith('deploy/observability/grafana/visage-dashboard.json'))).toBe(true);
    expect(mounted('grafana').some((source) => source.endsWith('deploy/observability/grafana/provisioning'))).toBe(true);
    for (const name of Object.keys(compose.services))
      if (!['prometheus', 'grafana'].includes(name)) expect(optional(name).profiles, name).toBeUndefined();
  });

  it("scrapes every app's compose service on its health port", () => {
    const config = parseYaml(readRepoFile('deploy/observability/prometheus.yml')) as {
      scrape_configs: Array<{ metrics_path: string; dns_sd_configs: Array<{ names: string[]; port: number }> }>;
    };
    const [job] = config.scrape_configs;
    expect(job.metrics_path).toBe('/metrics');
    const targets = Object.fromEntries(job.dns_sd_configs.map((sd) => [sd.names[0], sd.port]));
    const env = compose.services.receiver.environment ?? {};
    expect(targets).toEqual(Object.fromEntries(APP_NAMES.map((app) => [app, Number(env[DEPLOYABLE_APPS[app].healthPortVar])])));
    for (const app of APP_NAMES) expect(compose.services[app], app).toBeDefined();
  });
});
