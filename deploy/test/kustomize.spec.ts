import type { IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import type { IIngress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { IPersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IProbe } from 'kubernetes-models/v1/Probe';
import type { IService } from 'kubernetes-models/v1/Service';
import { readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseConfig, type VisageConfig } from '@visage/config';
import { beforeAll, describe, expect, it } from 'vitest';
import { APP_NAMES, DEPLOYABLE_APPS, HEALTH_PATHS, IMAGES_MOUNT_PATH, MIGRATION, type AppName } from '../apps';
import { kubernetesSchemaProblems, unknownFieldProblems } from './kubernetes-schema';
import {
  byKind,
  containerEnvironment,
  decodeSecretData,
  findObject,
  hostAndPort,
  OVERLAYS,
  PROD_SECRETS_EXAMPLE,
  readRepoFile,
  renderKustomization,
  renderOverlay,
  REPO_ROOT,
  selectedWorkloads,
  workloads,
  type K8sObject,
  type Workload,
} from './support';

/**
 * Renders both overlays with `kubectl kustomize` and checks them against the Kubernetes schemas and against the
 * apps themselves (deploy/apps.ts): environment, probes, selectors, network reachability, hardening.
 */

const rendered = new Map<string, K8sObject[]>();
beforeAll(() => {
  for (const overlay of OVERLAYS) rendered.set(overlay, renderOverlay(overlay));
});
const objectsOf = (overlay: string): K8sObject[] => rendered.get(overlay)!;

function appWorkload(objects: K8sObject[], app: string): Workload {
  const workload = workloads(objects).find((candidate) => candidate.name === app);
  if (!workload) throw new Error(`no workload named ${app}`);
  return workload;
}

function onlyContainer(workload: Workload): IContainer {
  const containers = workload.template.spec?.containers ?? [];
  expect(containers, `${workload.name} runs one container`).toHaveLength(1);
  return containers[0];
}

function appConfig(objects: K8sObject[], container: IContainer): { env: Record<string, string>; config: VisageConfig } {
  const env = containerEnvironment(objects, container);
  return { env, config: parseConfig(env, '/app') };
}

/** The Service (with a port) that answers `host:port` inside the namespace. */
function serviceFor(objects: K8sObject[], address: string): { service: IService; workloads: Workload[] } {
  const { host, port } = hostAndPort(address);
  const service = byKind<IService>(objects, 'Service').find((candidate) => candidate.metadata?.name === host);
  if (!service) throw new Error(`${address}: no Service named ${host}`);
  if (!service.spec?.ports?.some((servicePort) => servicePort.port === port)) {
    throw new Error(`${address}: Service ${host} does not expose port ${port}`);
  }
  return { service, workloads: selectedWorkloads(objects, service.spec?.selector ?? {}) };
}

function containerPortNumbers(container: IContainer): number[] {
  return (container.ports ?? []).map((port) => port.containerPort);
}

function httpProbe(probe: IProbe | undefined): { path: string | undefined; port: number | string } | undefined {
  return probe?.httpGet ? { path: probe.httpGet.path, port: probe.httpGet.port } : undefined;
}

describe.each(OVERLAYS)('kustomize overlay %s', (overlay) => {
  it('renders with kubectl kustomize, everything in the overlay namespace', () => {
    const objects = objectsOf(overlay);
    expect(objects.length).toBeGreaterThan(20);
    const namespace = findObject(objects, 'Namespace', overlay === 'prod' ? 'visage' : 'visage-dev');
    expect(namespace?.metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
    const outside = objects.filter((object) => object.kind !== 'Namespace' && object.metadata.namespace !== namespace?.metadata.name);
    expect(outside.map((object) => `${object.kind}/${object.metadata.name}`)).toEqual([]);
  });

  it('validates every object against the Kubernetes schemas (kubernetes-models)', async () => {
    const problems: string[] = [];
    for (const object of objectsOf(overlay)) {
      for (const problem of await kubernetesSchemaProblems(object)) problems.push(`${object.kind}/${object.metadata.name} ${problem}`);
    }
    expect(problems).toEqual([]);
  });

  it('uses no field the Kubernetes API types do not declare', () => {
    expect(unknownFieldProblems(objectsOf(overlay))).toEqual([]);
  });

  it.each(APP_NAMES)('%s runs its entry point from its own image', (app) => {
    const container = onlyContainer(appWorkload(objectsOf(overlay), app));
    expect(container.command).toEqual(['node', DEPLOYABLE_APPS[app].entry]);
    expect(container.image).toMatch(new RegExp(`(^|/)${app}(:[\\w.-]+)?$`));
  });

  it.each(APP_NAMES)('%s gets every variable it requires, and the result is a valid configuration', (app) => {
    const objects = objectsOf(overlay);
    const { env, config } = appConfig(objects, onlyContainer(appWorkload(objects, app)));
    for (const name of DEPLOYABLE_APPS[app].requiredEnv) expect(env[name], `${app} ${name}`).toBeTruthy();
    if (DEPLOYABLE_APPS[app].requiredEnv.includes('DATABASE_URL')) expect(config.database.type).toBe('mysql');
    if (DEPLOYABLE_APPS[app].requiredEnv.includes('NSQLOOKUPD_HTTP_ADDRESSES')) expect(config.queue.driver).toBe('nsq');
    expect(config.storage.imagesRoot).toBe(IMAGES_MOUNT_PATH);
  });

  it.each(APP_NAMES)('%s reaches its dependencies at addresses a Service answers', (app) => {
    const objects = objectsOf(overlay);
    const { env, config } = appConfig(objects, onlyContainer(appWorkload(objects, app)));
    const names = (found: Workload[]) => found.map((workload) => workload.name);
    if (env.FACE_RECOGNITION_ADDRESS && DEPLOYABLE_APPS[app].recognizerClient) {
      expect(names(serviceFor(objects, config.FACE_RECOGNITION_ADDRESS).workloads)).toEqual(['face-recognition']);
    }
    if (config.queue.driver === 'nsq') {
      expect(names(serviceFor(objects, config.queue.publishAddress!).workloads)).toEqual(['nsqd']);
      for (const lookupd of config.queue.lookupdHttpAddresses) expect(names(serviceFor(objects, lookupd).workloads)).toEqual(['nsqlookupd']);
    }
    if (app === 'frontend') expect(names(serviceFor(objects, env.RECEIVER_URL).workloads)).toEqual(['receiver']);
  });

  it('points DATABASE_URL at the in-cluster MySQL with its credentials in dev, and outside the cluster in prod', () => {
    const objects = objectsOf(overlay);
    const { config } = appConfig(objects, onlyContainer(appWorkload(objects, 'receiver')));
    if (config.database.type !== 'mysql') throw new Error('receiver database is not MySQL');
    const mysql = findObject(objects, 'StatefulSet', 'mysql');
    if (overlay === 'dev') {
      expect(mysql).toBeDefined();
      const mysqlContainer = onlyContainer(appWorkload(objects, 'mysql'));
      expect(mysqlContainer.image).toBe('mysql:8.4');
      const credentials = containerEnvironment(objects, mysqlContainer);
      expect(serviceFor(objects, `${config.database.host}:${config.database.port}`).workloads.map((workload) => workload.name)).toEqual(['mysql']);
      expect(config.database).toMatchObject({
        username: credentials.MYSQL_USER,
        password: credentials.MYSQL_PASSWORD,
        database: credentials.MYSQL_DATABASE,
      });
    } else {
      expect(mysql).toBeUndefined();
      expect(byKind(objects, 'Service').map((service) => service.metadata.name)).not.toContain(config.database.host);
    }
  });

  it('generates every Secret (hashed name, so a change rolls the pods), and every reference follows the name', () => {
    const objects = objectsOf(overlay);
    const secrets = byKind(objects, 'Secret').map((secret) => secret.metadata.name);
    const generated = overlay === 'dev' ? ['mysql-credentials', 'visage-secrets'] : ['visage-secrets'];
    expect(secrets.map((name) => name.replace(/-[a-z0-9]{10}$/, '')).sort()).toEqual(generated);
    expect(
      secrets.every((name) => /-[a-z0-9]{10}$/.test(name)),
      secrets.join(),
    ).toBe(true);
    for (const workload of workloads(objects)) {
      for (const container of workload.template.spec?.containers ?? []) {
        for (const source of container.envFrom ?? []) {
          if (source.secretRef) expect(secrets, `${workload.name} envFrom`).toContain(source.secretRef.name);
        }
      }
    }
  });

  it('commits placeholder or dev-only credentials only (prod: the unedited secrets.env.example)', () => {
    const committed = overlay === 'prod' ? renderOverlay('prod', { secretsEnv: readRepoFile(PROD_SECRETS_EXAMPLE) }) : objectsOf(overlay);
    const placeholder = overlay === 'prod' ? /^CHANGE_ME$/ : /^(CHANGE_ME|dev-only-[a-z-]+)$/;
    const credentials: string[] = [];
    for (const secret of byKind(committed, 'Secret')) {
      for (const [key, value] of Object.entries(decodeSecretData(secret))) {
        if (/PASSWORD|_KEY$|_SECRET$/.test(key)) credentials.push(value);
        if (/_URL$/.test(key)) credentials.push(decodeURIComponent(new URL(value).password));
      }
    }
    expect(credentials.length).toBeGreaterThanOrEqual(overlay === 'prod' ? 3 : 6);
    for (const credential of credentials) expect(credential).toMatch(placeholder);
  });

  it('runs the migration Job with the database configuration', () => {
    const objects = objectsOf(overlay);
    const job = appWorkload(objects, 'visage-migrate');
    expect(job.kind).toBe('Job');
    const container = onlyContainer(job);
    expect(container.command).toEqual(['node', MIGRATION.entry]);
    expect(container.image).toMatch(/(^|\/)migrate(:[\w.-]+)?$/);
    const { env, config } = appConfig(objects, container);
    for (const name of MIGRATION.requiredEnv) expect(env[name]).toBeTruthy();
    expect(config.database.type).toBe('mysql');
  });

  it.each(APP_NAMES)('%s probes the health paths and ports the app serves', (app) => {
    const objects = objectsOf(overlay);
    const container = onlyContainer(appWorkload(objects, app));
    const { config } = appConfig(objects, container);
    const spec = DEPLOYABLE_APPS[app];
    const healthPort = config[spec.healthPortVar as keyof VisageConfig];
    expect(containerPortNumbers(container)).toContain(healthPort);
    expect(httpProbe(container.livenessProbe)).toEqual({ path: HEALTH_PATHS.live, port: healthPort });
    expect(container.startupProbe, 'a startupProbe guards slow starts').toBeDefined();
    if (spec.grpcPortVar) {
      const grpcPort = config[spec.grpcPortVar as keyof VisageConfig];
      expect(containerPortNumbers(container)).toContain(grpcPort);
      expect(container.readinessProbe?.grpc?.port).toBe(grpcPort);
      expect(container.startupProbe?.grpc?.port).toBe(grpcPort);
      // Model loading must fit in the startup budget: at least two minutes.
      const budget = (container.startupProbe?.periodSeconds ?? 10) * (container.startupProbe?.failureThreshold ?? 3);
      expect(budget).toBeGreaterThanOrEqual(120);
    } else {
      expect(httpProbe(container.readinessProbe)).toEqual({ path: HEALTH_PATHS.ready, port: healthPort });
      expect(httpProbe(container.startupProbe)).toEqual({ path: HEALTH_PATHS.live, port: healthPort });
    }
  });

  it("sizes the recognizer worker pool to its CPU limit (Node sees the node's cores, not the limit)", () => {
    const objects = objectsOf(overlay);
    const container = onlyContainer(appWorkload(objects, 'face-recognition'));
    const { config } = appConfig(objects, container);
    const limit = String(container.resources?.limits?.cpu ?? '');
    const cores = limit.endsWith('m') ? Number(limit.slice(0, -1)) / 1000 : Number(limit);
    expect(config.RECOGNIZER_WORKERS).toBeGreaterThan(0);
    expect(config.RECOGNIZER_WORKERS).toBeLessThanOrEqual(Math.max(1, Math.floor(cores)));
  });

  it('has Services that select real pods on ports those pods declare', () => {
    const objects = objectsOf(overlay);
    for (const service of byKind<IService>(objects, 'Service')) {
      const name = service.metadata?.name;
      const selector = service.spec?.selector ?? {};
      expect(Object.keys(selector).length, `${name} has a selector`).toBeGreaterThan(0);
      const selected = selectedWorkloads(objects, selector);
      expect(
        selected.map((workload) => workload.kind),
        `${name} selects a Deployment or StatefulSet`,
      ).toHaveLength(1);
      const containers = selected[0].template.spec?.containers ?? [];
      for (const port of service.spec?.ports ?? []) {
        const target = port.targetPort ?? port.port;
        const declared = containers.flatMap((container) => container.ports ?? []);
        const found = declared.some((containerPort) => containerPort.name === target || containerPort.containerPort === target);
        expect(found, `${name} targetPort ${target}`).toBe(true);
      }
    }
    for (const statefulSet of byKind(objects, 'StatefulSet')) {
      const governing = findObject<IService>(objects, 'Service', (statefulSet.spec as { serviceName: string }).serviceName);
      expect(governing?.spec?.clusterIP, `${statefulSet.metadata.name} has a headless governing Service`).toBe('None');
    }
  });

  it('has NetworkPolicies whose selectors match real pods', () => {
    const objects = objectsOf(overlay);
    for (const policy of byKind<INetworkPolicy>(objects, 'NetworkPolicy')) {
      const name = policy.metadata?.name;
      const podSelector = policy.spec?.podSelector ?? {};
      expect(selectedWorkloads(objects, podSelector).length, `${name} applies to some pod`).toBeGreaterThan(0);
      const peers = [
        ...(policy.spec?.ingress ?? []).flatMap((rule) => rule.from ?? []),
        ...(policy.spec?.egress ?? []).flatMap((rule) => rule.to ?? []),
      ];
      for (const peer of peers.filter((candidate) => candidate.podSelector && !candidate.namespaceSelector)) {
        expect(selectedWorkloads(objects, peer.podSelector!).length, `${name} peer ${JSON.stringify(peer.podSelector)}`).toBeGreaterThan(0);
      }
    }
  });

  /** Pods allowed to open `port` on the pods of `target`, per the ingress rules of every policy selecting them. */
  function allowedClients(objects: K8sObject[], target: string, port: number): string[] {
    const policies = byKind<INetworkPolicy>(objects, 'NetworkPolicy').filter(
      (policy) =>
        policy.spec?.policyTypes?.includes('Ingress') &&
        selectedWorkloads(objects, policy.spec.podSelector).some((workload) => workload.name === target),
    );
    expect(policies.length, `${target} is covered by an ingress policy`).toBeGreaterThan(0);
    const clients = new Set<string>();
    for (const rule of policies.flatMap((policy) => policy.spec?.ingress ?? [])) {
      if (rule.ports && !rule.ports.some((rulePort) => rulePort.port === port)) continue;
      if (!rule.from) return ['<anyone>'];
      for (const peer of rule.from) {
        if (!peer.podSelector || peer.namespaceSelector || peer.ipBlock) return ['<outside the namespace>'];
        for (const workload of selectedWorkloads(objects, peer.podSelector)) clients.add(workload.name);
      }
    }
    return [...clients].sort();
  }

  it('lets only the image-processor and the receiver reach the recognizer', () => {
    const objects = objectsOf(overlay);
    const expected = APP_NAMES.filter((app) => DEPLOYABLE_APPS[app].recognizerClient).sort();
    expect(expected).toEqual(['image-processor', 'receiver']);
    expect(allowedClients(objects, 'face-recognition', 50051)).toEqual(expected);
    expect(findObject(objects, 'NetworkPolicy', 'default-deny')).toBeDefined();
  });

  it('lets only the database clients reach MySQL (dev) or leave for the database port (prod)', () => {
    const objects = objectsOf(overlay);
    const expected = [...APP_NAMES.filter((app) => DEPLOYABLE_APPS[app].databaseClient), 'visage-migrate'].sort();
    if (overlay === 'dev') {
      expect(allowedClients(objects, 'mysql', 3306)).toEqual(expected);
    } else {
      const egress = byKind<INetworkPolicy>(objects, 'NetworkPolicy').filter((policy) =>
        (policy.spec?.egress ?? []).some((rule) => rule.to?.some((peer) => peer.ipBlock) && rule.ports?.some((rulePort) => rulePort.port === 3306)),
      );
      expect(egress).toHaveLength(1);
      expect(
        selectedWorkloads(objects, egress[0].spec!.podSelector)
          .map((workload) => workload.name)
          .sort(),
      ).toEqual(expected);
    }
  });

  it('allows DNS to every pod under the default deny', () => {
    const objects = objectsOf(overlay);
    const dns = byKind<INetworkPolicy>(objects, 'NetworkPolicy').filter((policy) =>
      (policy.spec?.egress ?? []).some((rule) => rule.ports?.some((rulePort) => rulePort.port === 53 && rulePort.protocol === 'UDP')),
    );
    expect(dns).toHaveLength(1);
    expect(dns[0].spec?.podSelector).toEqual({});
  });

  it('hardens every pod: non-root, seccomp, read-only root with a /tmp emptyDir, no capabilities, no service links, resources', () => {
    for (const workload of workloads(objectsOf(overlay))) {
      const spec = workload.template.spec!;
      const where = `${workload.kind}/${workload.name}`;
      expect(spec.securityContext?.runAsNonRoot, where).toBe(true);
      expect(spec.securityContext?.runAsUser, where).toBeGreaterThan(0);
      expect(spec.securityContext?.seccompProfile?.type, where).toBe('RuntimeDefault');
      expect(spec.enableServiceLinks, `${where}: service links would shadow *_PORT variables`).toBe(false);
      expect(spec.automountServiceAccountToken, where).toBe(false);
      for (const container of spec.containers) {
        expect(container.securityContext, where).toMatchObject({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ['ALL'] },
        });
        expect(Object.keys(container.resources?.requests ?? {}).sort(), where).toEqual(['cpu', 'memory']);
        expect(container.resources?.limits?.memory, where).toBeDefined();
      }
      const visageApp = workload.name in DEPLOYABLE_APPS || workload.kind === 'Job';
      if (visageApp) {
        const tmp = spec.containers[0].volumeMounts?.find((mount) => mount.mountPath === '/tmp');
        expect(spec.volumes?.find((volume) => volume.name === tmp?.name)?.emptyDir, `${where} /tmp`).toBeDefined();
      }
    }
  });

  it('mounts the shared ReadWriteMany images claim read-write in the receiver, read-only in the other apps that read images, nowhere else', () => {
    const objects = objectsOf(overlay);
    const claims = byKind<IPersistentVolumeClaim>(objects, 'PersistentVolumeClaim');
    expect(claims).toHaveLength(1);
    expect(claims[0].spec?.accessModes).toEqual(['ReadWriteMany']);
    for (const app of APP_NAMES) {
      const spec = appWorkload(objects, app).template.spec!;
      const volume = spec.volumes?.find((candidate) => candidate.persistentVolumeClaim?.claimName === claims[0].metadata?.name);
      const mount = spec.containers[0].volumeMounts?.find((candidate) => candidate.name === volume?.name);
      if (!DEPLOYABLE_APPS[app].readsImages) {
        expect(volume, app).toBeUndefined();
        continue;
      }
      expect(mount, app).toMatchObject({ mountPath: IMAGES_MOUNT_PATH });
      expect(Boolean(mount?.readOnly) || Boolean(volume?.persistentVolumeClaim?.readOnly), app).toBe(!DEPLOYABLE_APPS[app].writesImages);
    }
  });

  it('has a PodDisruptionBudget and a topology spread over its own pods for every app', () => {
    const objects = objectsOf(overlay);
    const budgets = byKind<IPodDisruptionBudget>(objects, 'PodDisruptionBudget');
    for (const app of APP_NAMES) {
      const workload = appWorkload(objects, app);
      const covering = budgets.filter((budget) =>
        selectedWorkloads(objects, budget.spec?.selector ?? {}).some((candidate) => candidate.name === app),
      );
      expect(covering, `${app} PDB`).toHaveLength(1);
      const constraints = workload.template.spec?.topologySpreadConstraints ?? [];
      expect(constraints.map((constraint) => constraint.topologyKey)).toContain('kubernetes.io/hostname');
      for (const constraint of constraints) {
        expect(
          selectedWorkloads(objects, constraint.labelSelector ?? {}).map((candidate) => candidate.name),
          `${app} spread`,
        ).toEqual([app]);
      }
    }
  });

  it('autoscales the image-processor (prod: KEDA, see observability.spec.ts) and the recognizer, leaving their replica counts to the HPA', () => {
    const objects = objectsOf(overlay);
    const autoscalers = byKind<IHorizontalPodAutoscaler>(objects, 'HorizontalPodAutoscaler');
    expect(autoscalers.map((hpa) => hpa.spec?.scaleTargetRef.name).sort()).toEqual(
      overlay === 'prod' ? ['face-recognition'] : ['face-recognition', 'image-processor'],
    );
    for (const hpa of autoscalers) {
      const target = hpa.spec!.scaleTargetRef;
      const deployment = findObject(objects, target.kind, target.name);
      expect(deployment, `${target.kind}/${target.name}`).toBeDefined();
      expect((deployment!.spec as { replicas?: number }).replicas, `${target.name} replicas belong to the HPA`).toBeUndefined();
      expect(hpa.spec!.minReplicas).toBeLessThanOrEqual(hpa.spec!.maxReplicas);
      const container = onlyContainer(appWorkload(objects, target.name));
      expect(container.resources?.requests?.cpu, 'CPU utilization needs a CPU request').toBeDefined();
    }
  });

  it('registers each nsqd with nsqlookupd under a name the consumers can resolve', () => {
    const objects = objectsOf(overlay);
    const nsqd = onlyContainer(appWorkload(objects, 'nsqd'));
    const args = nsqd.command ?? [];
    const lookupd = args.find((arg) => arg.startsWith('--lookupd-tcp-address='))?.split('=')[1];
    expect(serviceFor(objects, lookupd!).workloads.map((workload) => workload.name)).toEqual(['nsqlookupd']);
    const broadcast = args.find((arg) => arg.startsWith('--broadcast-address='))?.split('=')[1];
    // $(POD_NAME).<headless service>: the pod's own DNS record under the governing Service; prod qualifies it with
    // the namespace so KEDA's nsq scaler, in its own namespace, resolves it too.
    const ownRecord = `$(POD_NAME).${(findObject(objects, 'StatefulSet', 'nsqd')!.spec as { serviceName: string }).serviceName}`;
    expect(broadcast).toBe(overlay === 'prod' ? `${ownRecord}.$(POD_NAMESPACE).svc` : ownRecord);
    if (overlay === 'prod') {
      expect(nsqd.env?.find((variable) => variable.name === 'POD_NAMESPACE')?.valueFrom?.fieldRef?.fieldPath).toBe('metadata.namespace');
    }
    expect(nsqd.env?.find((variable) => variable.name === 'POD_NAME')?.valueFrom?.fieldRef?.fieldPath).toBe('metadata.name');
  });

  it('bounds the outcome events nsqd holds: an ephemeral topic (memory only, never the volume) under an explicit --mem-queue-size', () => {
    const objects = objectsOf(overlay);
    expect(onlyContainer(appWorkload(objects, 'nsqd')).command).toContain('--mem-queue-size=10000');
    for (const app of ['receiver', 'image-processor']) {
      expect(appConfig(objects, onlyContainer(appWorkload(objects, app))).config.OUTCOME_EVENTS_TOPIC, app).toBe('image.outcomes#ephemeral');
    }
  });
});

describe('kustomize overlay prod only', () => {
  it('serves only the receiver and the frontend, through a TLS Ingress that redirects HTTP', () => {
    const objects = objectsOf('prod');
    const ingresses = byKind<IIngress>(objects, 'Ingress');
    expect(ingresses).toHaveLength(1);
    const spec = ingresses[0].spec!;
    const tlsHosts = (spec.tls ?? []).flatMap((tls) => tls.hosts ?? []);
    expect(spec.tls?.every((tls) => tls.secretName)).toBe(true);
    expect(ingresses[0].metadata?.annotations?.['nginx.ingress.kubernetes.io/ssl-redirect']).toBe('true');
    const backends: string[] = [];
    for (const rule of spec.rules ?? []) {
      expect(tlsHosts, `${rule.host} is covered by TLS`).toContain(rule.host);
      for (const path of rule.http?.paths ?? []) {
        const backend = path.backend.service!;
        const service = findObject<IService>(objects, 'Service', backend.name);
        expect(
          service?.spec?.ports?.some((port) => port.name === backend.port?.name || port.port === backend.port?.number),
          backend.name,
        ).toBe(true);
        backends.push(backend.name);
      }
    }
    expect(backends.sort()).toEqual(['frontend', 'receiver']);
  });

  it('publishes nothing else: every Service is cluster-internal', () => {
    for (const overlay of OVERLAYS) {
      const exposed = byKind<IService>(objectsOf(overlay), 'Service').filter((service) => (service.spec?.type ?? 'ClusterIP') !== 'ClusterIP');
      expect(exposed.map((service) => `${overlay}: ${service.metadata?.name} ${service.spec?.type}`)).toEqual([]);
    }
  });

  it("does not build without the operator's secrets.env", () => {
    expect(() => renderOverlay('prod', { secretsEnv: undefined })).toThrow(/secrets\.env/);
  });

  it('stops every app on the unedited example or the base placeholders instead of running with a known admin key', () => {
    for (const objects of [renderOverlay('prod', { secretsEnv: readRepoFile(PROD_SECRETS_EXAMPLE) }), renderKustomization('base')]) {
      const secretReaders = APP_NAMES.filter((app) => onlyContainer(appWorkload(objects, app)).envFrom?.some((source) => source.secretRef));
      expect(secretReaders.sort()).toEqual(['face-recognition', 'frontend', 'image-processor', 'receiver']);
      for (const app of secretReaders) {
        expect(() => appConfig(objects, onlyContainer(appWorkload(objects, app))), app).toThrow(
          /RECOGNIZER_TOKEN: must be at least 32 characters[\s\S]*ADMIN_API_KEY: must be at least 32 characters[\s\S]*SESSION_SECRET/,
        );
      }
    }
  });

  it("gives the apps the operator's secrets, under a name that changes with them", () => {
    const first = objectsOf('prod');
    const second = renderOverlay('prod');
    const secretName = (objects: K8sObject[]) => byKind(objects, 'Secret')[0].metadata.name;
    expect(secretName(first)).not.toBe(secretName(second));
    const operatorKey = decodeSecretData(byKind(first, 'Secret')[0]).ADMIN_API_KEY;
    expect(operatorKey).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    const { config } = appConfig(first, onlyContainer(appWorkload(first, 'receiver')));
    expect(config.ADMIN_API_KEY).toBe(operatorKey);
    expect(config.SESSION_SECRET).toBeDefined();
    expect(config.BIND_HOST, 'pods listen on their interface').toBe('0.0.0.0');
    expect(config.TRUSTED_PROXIES, 'only the ingress range is believed').toEqual(['10.0.0.0/8']);
    // The recognizer and its callers share one token, from the operator's secrets.
    const tokens = APP_NAMES.filter((app) => app !== 'frontend').map(
      (app) => appConfig(first, onlyContainer(appWorkload(first, app))).config.RECOGNIZER_TOKEN,
    );
    expect(new Set(tokens).size).toBe(1);
    expect(tokens[0]).toBe(decodeSecretData(byKind(first, 'Secret')[0]).RECOGNIZER_TOKEN);
    expect(config.WEBHOOK_SECRET).toBeDefined();
  });

  it('lets no pod out to the internet unless the webhook-egress component is enabled, then only the webhook sender on 443', () => {
    const internetEgress = (objects: K8sObject[]) =>
      byKind<INetworkPolicy>(objects, 'NetworkPolicy').filter((policy) =>
        (policy.spec?.egress ?? []).some((rule) => rule.to?.some((peer) => peer.ipBlock) && !rule.ports?.every((rulePort) => rulePort.port === 3306)),
      );
    expect(internetEgress(objectsOf('prod'))).toEqual([]);
    const enabled = renderOverlay('prod', {
      editKustomization: (text) => {
        const edited = text.replace('# components:\n#   - ../../components/webhook-egress', 'components:\n  - ../../components/webhook-egress');
        expect(edited, 'the documented lines to uncomment').not.toBe(text);
        return edited;
      },
    });
    const policies = internetEgress(enabled);
    expect(policies.map((policy) => policy.metadata?.name)).toEqual(['webhook-egress']);
    const senders = APP_NAMES.filter((app) => DEPLOYABLE_APPS[app].sendsWebhooks);
    expect(selectedWorkloads(enabled, policies[0].spec!.podSelector).map((workload) => workload.name)).toEqual(senders);
    const rules = policies[0].spec!.egress!;
    expect(rules.flatMap((rule) => rule.ports ?? [])).toEqual([{ protocol: 'TCP', port: 443 }]);
    const blocks = rules.flatMap((rule) => rule.to ?? []).map((peer) => peer.ipBlock);
    expect(
      blocks.every((block) => block?.except?.includes('169.254.0.0/16') && block.except.includes('10.0.0.0/8')),
      'metadata and private ranges stay closed',
    ).toBe(true);
    expect(findObject(enabled, 'NetworkPolicy', 'webhook-egress')?.metadata.namespace).toBe('visage');
  });
});

describe('deploy/apps.ts', () => {
  it('lists an entry point per app and one per health contract', () => {
    const entries: Array<[AppName, string]> = APP_NAMES.map((app) => [app, DEPLOYABLE_APPS[app].entry]);
    expect(entries).toEqual(APP_NAMES.map((app) => [app, `dist/apps/${app}/src/main.js`]));
  });

  it('marks as webhook senders exactly the apps whose source reads WEBHOOK_URLS', () => {
    const readsWebhookUrls = (app: AppName) =>
      readdirSync(resolve(REPO_ROOT, 'apps', app, 'src'), { recursive: true, encoding: 'utf8' })
        .filter((file) => file.endsWith('.ts') && !file.endsWith('.spec.ts'))
        .some((file) => readRepoFile(`apps/${app}/src/${file}`).includes('WEBHOOK_URLS'));
    expect(APP_NAMES.filter(readsWebhookUrls)).toEqual(APP_NAMES.filter((app) => DEPLOYABLE_APPS[app].sendsWebhooks));
  });
});
