import { resolve as resolvePath } from 'node:path';
import * as ts from 'typescript';
import { REPO_ROOT, type K8sObject } from './support';

/**
 * Validates rendered objects against the Kubernetes OpenAPI schemas, offline. The `kubernetes-models` package
 * ships one compiled JSON-schema (ajv) validator per API type, generated from the upstream OpenAPI document.
 */

interface ValidationIssue {
  instancePath?: string;
  message?: string;
}

type ModelClass = new (data: unknown) => { validate(): void };

/** The custom resources' groups and the packages of their models (same layout as kubernetes-models). */
const CUSTOM_RESOURCE_PACKAGES: Record<string, string> = {
  'keda.sh': '@kubernetes-models/keda',
  'monitoring.coreos.com': '@kubernetes-models/prometheus-operator',
};

/** `apps/v1` → `kubernetes-models/apps/v1`, core `v1` → `kubernetes-models/v1`, `keda.sh/v1alpha1` → `@kubernetes-models/keda/keda.sh/v1alpha1`. */
function modelModule(apiVersion: string): string {
  const group = apiVersion.includes('/') ? apiVersion.split('/')[0]! : '';
  return `${CUSTOM_RESOURCE_PACKAGES[group] ?? 'kubernetes-models'}/${apiVersion}`;
}

async function modelFor(apiVersion: string, kind: string): Promise<ModelClass | undefined> {
  let module: Record<string, unknown>;
  try {
    module = (await import(/* @vite-ignore */ modelModule(apiVersion))) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const model = module[kind];
  return typeof model === 'function' ? (model as ModelClass) : undefined;
}

/**
 * kustomize's secretGenerator wraps long base64 values at 70 columns (a YAML block scalar); the API server's base64
 * decoder (Go's encoding/base64) skips the line breaks, the schema's `byte` format does not: join them to validate.
 */
function withUnwrappedSecretData(object: K8sObject): K8sObject {
  const data = object.kind === 'Secret' ? (object.data as Record<string, string> | undefined) : undefined;
  if (!data) return object;
  return { ...object, data: Object.fromEntries(Object.entries(data).map(([key, value]) => [key, value.replace(/\n/g, '')])) };
}

/** Schema problems of one object, as `path: message` lines; empty when it validates. */
export async function kubernetesSchemaProblems(object: K8sObject): Promise<string[]> {
  const Model = await modelFor(object.apiVersion, object.kind);
  if (!Model) return [`no Kubernetes schema for ${object.apiVersion} ${object.kind}`];
  try {
    new Model(withUnwrappedSecretData(object)).validate();
    return [];
  } catch (error) {
    const issues = (error as { errors?: ValidationIssue[] }).errors;
    if (!issues) return [String(error)];
    return issues.map((issue) => `${issue.instancePath || '/'}: ${issue.message ?? 'invalid'}`);
  }
}

/**
 * The compiled schemas accept unknown fields (the upstream OpenAPI document does not forbid them), so a typo such
 * as `readinessProbes` would pass them and be dropped silently by the API server. The same package's TypeScript
 * declarations list every known field: type-checking each object as an object literal of its declared type makes
 * TypeScript's excess-property check report unknown fields (and wrong types) with their path.
 */
export function unknownFieldProblems(objects: K8sObject[]): string[] {
  const fileName = resolvePath(REPO_ROOT, 'deploy/test/__rendered_objects__.ts');
  const lines: string[] = [];
  const owners: Array<{ line: number; label: string }> = [];
  objects.forEach((object, index) => {
    lines.push(`import type { I${object.kind} as T${index} } from '${modelModule(object.apiVersion)}/${object.kind}';`);
  });
  objects.forEach((object, index) => {
    // Pretty-printed so a diagnostic's line points at the offending field; `line` is where this object starts.
    const declaration = `export const object${index}: T${index} = ${JSON.stringify(object, null, 1)};`.split('\n');
    owners.push({ line: lines.length, label: `${object.kind} ${object.metadata.name}` });
    lines.push(...declaration);
  });
  const source = lines.join('\n');
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    target: ts.ScriptTarget.ES2022,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  const getSourceFile = host.getSourceFile.bind(host);
  host.readFile = (name) => (name === fileName ? source : readFile(name));
  host.fileExists = (name) => name === fileName || fileExists(name);
  host.getSourceFile = (name, languageVersion, onError, shouldCreate) =>
    name === fileName ? ts.createSourceFile(name, source, languageVersion, true) : getSourceFile(name, languageVersion, onError, shouldCreate);
  const program = ts.createProgram([fileName], options, host);
  const diagnostics = ts.getPreEmitDiagnostics(program).filter((diagnostic) => diagnostic.file?.fileName === fileName);
  return diagnostics.map((diagnostic) => {
    const { line } = diagnostic.file!.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
    const owner = [...owners].reverse().find((candidate) => candidate.line <= line);
    const text = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
    const snippet = source.split('\n')[line]?.trim();
    return `${owner?.label ?? '?'} (near ${snippet}): ${text}`;
  });
}
