import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { IPodTemplateSpec } from 'kubernetes-models/v1/PodTemplateSpec';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IIoK8sApimachineryPkgApisMetaV1LabelSelector as LabelSelector } from '@kubernetes-models/apimachinery/apis/meta/v1/LabelSelector';
import { parseAllDocuments, parse as parseYaml } from 'yaml';

/** Helpers shared by the deployment validation specs: render, parse and cross-reference manifests. */

export const REPO_ROOT = resolve(__dirname, '..', '..');
export const OVERLAYS = ['dev', 'prod'] as const;
export type Overlay = (typeof OVERLAYS)[number];

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

export function readRepoFile(path: string): string {
  return readFileSync(resolve(REPO_ROOT, path), 'utf8');
}

function runTool(tool: string, args: string[], purpose: string, cwd = REPO_ROOT): string {
  try {
    return execFileSync(tool, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const failure = error as NodeJS.ErrnoException & { stderr?: string };
    if (failure.code === 'ENOENT') {
      throw new Error(`${tool} is not installed or not on PATH; it is needed to ${purpose}.`);
    }
    throw new Error(`${tool} ${args.join(' ')} failed:\n${failure.stderr ?? failure.message}`);
  }
}

/** The prod overlay's secrets file: the operator writes it from this committed example (git-ignored). */
export const PROD_SECRETS_EXAMPLE = 'deploy/overlays/prod/secrets.env.example';

/**
 * secrets.env as an operator fills it in from the example: every `CHANGE_ME` key or secret becomes
 * `openssl rand -base64 32` (here: 32 random bytes, base64), the commented WEBHOOK_SECRET included. DATABASE_URL keeps
 * its placeholder password: the database is the operator's, and the placeholder test reads it.
 */
export function operatorSecretsEnv(): string {
  return readRepoFile(PROD_SECRETS_EXAMPLE)
    .split('\n')
    .map((line) =>
      line.replace(/^(?:# )?((?:\w+_KEY|\w+_SECRET|\w+_TOKEN)=)CHANGE_ME$/, (_, name: string) => `${name}${randomBytes(32).toString('base64')}`),
    )
    .join('\n');
}

export interface RenderOptions {
  /** Written as secrets.env next to the kustomization in the copy (none: removed); prod's default is operatorSecretsEnv(). */
  secretsEnv?: string;
  /** Rewrites the overlay's kustomization.yaml in the copy (as an operator would edit it). */
  editKustomization?: (text: string) => string;
}

/**
 * `kubectl kustomize deploy/overlays/<overlay>`, parsed. Rendered from a temporary copy of deploy/, so the files a
 * test writes (prod's git-ignored secrets.env, an edited kustomization) never touch the checkout, nor a real
 * secrets.env there.
 */
export function renderOverlay(overlay: string, options: RenderOptions = {}): K8sObject[] {
  return renderKustomization(`overlays/${overlay}`, { secretsEnv: overlay === 'prod' ? operatorSecretsEnv() : undefined, ...options });
}

/** `kubectl kustomize deploy/<directory>` (base, an overlay), parsed; see renderOverlay. */
export function renderKustomization(directory: string, options: RenderOptions = {}): K8sObject[] {
  const copy = mkdtempSync(join(tmpdir(), 'visage-kustomize-'));
  try {
    cpSync(resolve(REPO_ROOT, 'deploy'), join(copy, 'deploy'), { recursive: true });
    const overlayDir = join(copy, 'deploy', directory);
    const { secretsEnv } = options;
    if (secretsEnv !== undefined) writeFileSync(join(overlayDir, 'secrets.env'), secretsEnv);
    else rmSync(join(overlayDir, 'secrets.env'), { force: true });
    if (options.editKustomization) {
      const file = join(overlayDir, 'kustomization.yaml');
      writeFileSync(file, options.editKustomization(readFileSync(file, 'utf8')));
    }
    const output = runTool('kubectl', ['kustomize', overlayDir], 'render the kustomize overlays (install kubectl, which bundles kustomize)', copy);
    return parseAllDocuments(output)
      .map((document) => document.toJSON() as K8sObject | null)
      .filter((object): object is K8sObject => object !== null);
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}

/**
 * `docker-compose config` (Debian's docker-compose package), parsed. Without an env file it reads none (not even a
 * developer's own .env), so the result is what docker-compose.yml falls back to.
 */
export function renderCompose(envFile?: string): ComposeFile {
  // docker-compose v1 wants a regular file (not /dev/null) to stand for "no variables".
  const file = envFile ?? join(mkdtempSync(join(tmpdir(), 'visage-compose-')), 'empty.env');
  if (!envFile) writeFileSync(file, '');
  const args = ['--env-file', file, '-f', 'docker-compose.yml', 'config'];
  const output = runTool('docker-compose', args, 'validate docker-compose.yml (apt-get install docker-compose)');
  return parseYaml(output) as ComposeFile;
}

export interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile?: string; target?: string };
  command?: string[] | string;
  environment?: Record<string, string | number | null>;
  ports?: Array<string | { target: number; published?: number | string }>;
  volumes?: Array<string | { type: string; source?: string; target: string; read_only?: boolean }>;
  depends_on?: Record<string, { condition: string }> | string[];
  healthcheck?: { test: string[] | string; start_period?: string };
  deploy?: { replicas?: number };
  read_only?: boolean;
  cap_drop?: string[];
}

export interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

export function byKind<T = K8sObject>(objects: K8sObject[], kind: string): T[] {
  return objects.filter((object) => object.kind === kind) as unknown as T[];
}

export function findObject<T = K8sObject>(objects: K8sObject[], kind: string, name: string): T | undefined {
  return objects.find((object) => object.kind === kind && object.metadata.name === name) as unknown as T | undefined;
}

export interface Workload {
  kind: string;
  name: string;
  template: IPodTemplateSpec;
}

/** The pod templates of every Deployment, StatefulSet and Job. */
export function workloads(objects: K8sObject[]): Workload[] {
  return objects
    .filter((object) => ['Deployment', 'StatefulSet', 'Job'].includes(object.kind))
    .map((object) => {
      const spec = object.spec as { template: IPodTemplateSpec };
      return { kind: object.kind, name: object.metadata.name, template: spec.template };
    });
}

export function podLabels(workload: Workload): Record<string, string> {
  return workload.template.metadata?.labels ?? {};
}

export function selectorMatches(selector: LabelSelector | Record<string, string>, labels: Record<string, string>): boolean {
  const isLabelSelector = 'matchLabels' in selector || 'matchExpressions' in selector;
  const matchLabels = isLabelSelector ? ((selector as LabelSelector).matchLabels ?? {}) : (selector as Record<string, string>);
  const expressions = isLabelSelector ? ((selector as LabelSelector).matchExpressions ?? []) : [];
  const labelsMatch = Object.entries(matchLabels).every(([key, value]) => labels[key] === value);
  const expressionsMatch = expressions.every(({ key, operator, values = [] }) => {
    switch (operator) {
      case 'In':
        return key in labels && values.includes(labels[key]);
      case 'NotIn':
        return !(key in labels) || !values.includes(labels[key]);
      case 'Exists':
        return key in labels;
      case 'DoesNotExist':
        return !(key in labels);
      default:
        throw new Error(`unknown label selector operator ${operator}`);
    }
  });
  return labelsMatch && expressionsMatch;
}

/** Workloads whose pods a selector picks. An empty selector picks every pod, as Kubernetes does. */
export function selectedWorkloads(objects: K8sObject[], selector: LabelSelector | Record<string, string>): Workload[] {
  return workloads(objects).filter((workload) => selectorMatches(selector, podLabels(workload)));
}

export function decodeSecretData(secret: K8sObject): Record<string, string> {
  const stringData = (secret.stringData as Record<string, string> | undefined) ?? {};
  const data = (secret.data as Record<string, string> | undefined) ?? {};
  const decoded = Object.fromEntries(Object.entries(data).map(([key, value]) => [key, Buffer.from(value, 'base64').toString('utf8')]));
  return { ...decoded, ...stringData };
}

function sourceData(objects: K8sObject[], kind: 'ConfigMap' | 'Secret', name: string): Record<string, string> {
  const source = findObject(objects, kind, name);
  if (!source) throw new Error(`${kind} ${name} is referenced but not rendered`);
  return kind === 'Secret' ? decodeSecretData(source) : ((source.data as Record<string, string> | undefined) ?? {});
}

/**
 * The environment a container starts with, as the kubelet builds it: envFrom sources in order, then env entries
 * (later wins). Every referenced ConfigMap/Secret must exist in the rendered output. fieldRefs become `<fieldRef:path>`.
 */
export function containerEnvironment(objects: K8sObject[], container: IContainer): Record<string, string> {
  const environment: Record<string, string> = {};
  for (const source of container.envFrom ?? []) {
    if (source.configMapRef) Object.assign(environment, sourceData(objects, 'ConfigMap', source.configMapRef.name ?? ''));
    if (source.secretRef) Object.assign(environment, sourceData(objects, 'Secret', source.secretRef.name ?? ''));
  }
  for (const variable of container.env ?? []) {
    const from = variable.valueFrom;
    if (from?.configMapKeyRef) {
      environment[variable.name] = sourceData(objects, 'ConfigMap', from.configMapKeyRef.name ?? '')[from.configMapKeyRef.key];
    } else if (from?.secretKeyRef) {
      environment[variable.name] = sourceData(objects, 'Secret', from.secretKeyRef.name ?? '')[from.secretKeyRef.key];
    } else if (from?.fieldRef) {
      environment[variable.name] = `<fieldRef:${from.fieldRef.fieldPath}>`;
    } else {
      environment[variable.name] = variable.value ?? '';
    }
  }
  return environment;
}

/** `host:port` or a URL → its host and port. */
export function hostAndPort(address: string): { host: string; port: number } {
  const url = new URL(address.includes('://') ? address : `tcp://${address}`);
  const defaultPort = url.protocol === 'http:' ? 80 : url.protocol === 'https:' ? 443 : NaN;
  return { host: url.hostname, port: url.port ? Number(url.port) : defaultPort };
}

/** Compose `environment` values are strings, numbers or null; the apps see strings. */
export function composeEnvironment(service: ComposeService): Record<string, string> {
  return Object.fromEntries(
    Object.entries(service.environment ?? {})
      .filter(([, value]) => value !== null)
      .map(([key, value]) => [key, String(value)]),
  );
}

export interface DockerInstruction {
  keyword: string;
  args: string;
}

export interface DockerStage {
  name: string | undefined;
  from: string;
  instructions: DockerInstruction[];
}

export interface ParsedDockerfile {
  /** ARGs declared before the first FROM, with their defaults. */
  globalArgs: Record<string, string>;
  stages: DockerStage[];
}

/** A small Dockerfile reader: joins continuation lines, drops comments, splits stages at FROM. */
export function parseDockerfile(text: string): ParsedDockerfile {
  const logicalLines: string[] = [];
  let pending = '';
  for (const rawLine of text.split('\n')) {
    const line = rawLine.trim();
    if (line.startsWith('#') || (line === '' && pending === '')) continue;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1).trim()} `;
      continue;
    }
    logicalLines.push(`${pending}${line}`.trim());
    pending = '';
  }
  if (pending) logicalLines.push(pending.trim());

  const globalArgs: Record<string, string> = {};
  const stages: DockerStage[] = [];
  for (const line of logicalLines.filter(Boolean)) {
    const [keyword, ...rest] = line.split(/\s+/);
    const args = rest.join(' ');
    const upper = keyword.toUpperCase();
    if (upper === 'FROM') {
      const match = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      if (!match) throw new Error(`cannot read FROM ${args}`);
      stages.push({ from: match[1], name: match[2], instructions: [] });
    } else if (stages.length === 0) {
      if (upper !== 'ARG') throw new Error(`only ARG may precede the first FROM, found ${keyword}`);
      const [name, value = ''] = args.split('=');
      globalArgs[name] = value;
    } else {
      stages[stages.length - 1].instructions.push({ keyword: upper, args });
    }
  }
  return { globalArgs, stages };
}

/** A stage and the stages it is built FROM, nearest first. */
export function stageChain(dockerfile: ParsedDockerfile, target: string): DockerStage[] {
  const chain: DockerStage[] = [];
  let current = dockerfile.stages.find((stage) => stage.name === target);
  while (current) {
    chain.push(current);
    const parentName = current.from;
    current = dockerfile.stages.find((stage) => stage.name === parentName);
  }
  return chain;
}
