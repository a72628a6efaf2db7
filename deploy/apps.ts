import type { z } from 'zod';
import type { configSchema } from '@visage/config';

/**
 * The one table of what each deployable needs from a deployment. The Dockerfile, docker-compose.yml and the
 * kustomize manifests are checked against it by `deploy/test/*.spec.ts`, and docs/deploy.md points here.
 */

/** A variable of `libs/config/src/config.schema.ts`. RECEIVER_URL is the frontend's link to the receiver API. */
export type EnvName = Extract<keyof z.input<typeof configSchema>, string> | 'RECEIVER_URL';

export type AppName = 'receiver' | 'image-processor' | 'face-recognition' | 'frontend';

export interface DeployableApp {
  /** Script the container runs, relative to the image's working directory `/app`. */
  entry: string;
  /** Variable holding the HTTP port that serves `/health/live` and `/health/ready`. */
  healthPortVar: EnvName;
  /** Variable holding the gRPC port (standard grpc.health.v1 service), for the recognizer only. */
  grpcPortVar?: EnvName;
  /** Variables with a default that is wrong in a deployment (sqlite file, loopback addresses, relative paths). */
  requiredEnv: readonly EnvName[];
  /** Reads files under IMAGES_ROOT (mounted read-only, or read-write when it also {@link writesImages}). */
  readsImages: boolean;
  /** Stores uploads under IMAGES_ROOT (`uploads/`): the only app that mounts the images read-write. */
  writesImages: boolean;
  /** Talks to MySQL: the only pods the database's NetworkPolicy lets in. */
  databaseClient: boolean;
  /** Calls the recognizer: the only pods the recognizer's NetworkPolicy lets in. */
  recognizerClient: boolean;
  /** Port published to the host by docker-compose (HTTP entry points only). */
  publishedByCompose: boolean;
  /** POSTs outcome events to WEBHOOK_URLS: the only pods the opt-in webhook-egress component lets out on 443. */
  sendsWebhooks: boolean;
  /** Runs ONNX Runtime / sharp in worker threads: its image stage sets {@link WORKER_MALLOC_ENV}. */
  workerMemory: boolean;
}

/**
 * glibc malloc settings for the apps that decode images and run ONNX Runtime in worker threads (set by their
 * Dockerfile stages; `npm run bench:recognizer` starts the service with them too). Without them the recognizer's
 * RSS crept up for good: every worker thread gets malloc arenas of its own, and once a freed multi-megabyte buffer
 * (a decoded image, a network input) raises glibc's dynamic mmap threshold, later ones are carved from the arenas,
 * which fragment. A fixed threshold keeps those buffers in mmap, returned to the system when freed
 * (docs/recognizer.md, "Memory").
 */
export const WORKER_MALLOC_ENV = { MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '131072' } as const;

const QUEUE_ENV = ['NSQLOOKUPD_HTTP_ADDRESSES', 'NSQD_TCP_ADDRESS'] as const satisfies readonly EnvName[];

export const DEPLOYABLE_APPS: Readonly<Record<AppName, DeployableApp>> = {
  receiver: {
    entry: 'dist/apps/receiver/src/main.js',
    healthPortVar: 'RECEIVER_PORT',
    requiredEnv: ['DATABASE_URL', 'IMAGES_ROOT', ...QUEUE_ENV, 'FACE_RECOGNITION_ADDRESS'],
    readsImages: true,
    writesImages: true,
    databaseClient: true,
    recognizerClient: true,
    publishedByCompose: true,
    sendsWebhooks: false,
    workerMemory: false,
  },
  'image-processor': {
    entry: 'dist/apps/image-processor/src/main.js',
    healthPortVar: 'PROCESSOR_HEALTH_PORT',
    // FACE_RECOGNITION_INPUT=content: it reads each image and sends the bytes, so the recognizer mounts nothing.
    requiredEnv: ['DATABASE_URL', 'IMAGES_ROOT', ...QUEUE_ENV, 'FACE_RECOGNITION_ADDRESS', 'FACE_RECOGNITION_INPUT'],
    readsImages: true,
    writesImages: false,
    databaseClient: true,
    recognizerClient: true,
    publishedByCompose: false,
    sendsWebhooks: true,
    workerMemory: true,
  },
  'face-recognition': {
    entry: 'dist/apps/face-recognition/src/main.js',
    healthPortVar: 'FACE_RECOGNITION_HEALTH_PORT',
    grpcPortVar: 'FACE_RECOGNITION_PORT',
    // Every image arrives as bytes (the processor's FACE_RECOGNITION_INPUT=content, enrolments always): no volume.
    requiredEnv: [],
    readsImages: false,
    writesImages: false,
    databaseClient: false,
    recognizerClient: false,
    publishedByCompose: false,
    sendsWebhooks: false,
    workerMemory: true,
  },
  frontend: {
    entry: 'dist/apps/frontend/src/main.js',
    healthPortVar: 'FRONTEND_PORT',
    requiredEnv: ['DATABASE_URL', 'IMAGES_ROOT', 'RECEIVER_URL'],
    readsImages: true,
    writesImages: false,
    databaseClient: true,
    recognizerClient: false,
    publishedByCompose: true,
    sendsWebhooks: false,
    workerMemory: false,
  },
};

/** The one-shot schema migration (runs pending migrations for DATABASE_URL, then exits). */
export const MIGRATION = {
  name: 'migrate',
  entry: 'dist/libs/persistence/src/migrate.js',
  requiredEnv: ['DATABASE_URL'] as const satisfies readonly EnvName[],
} as const;

/** Served by every HTTP app through `@visage/health` (libs/health/src/health.controller.ts). */
export const HEALTH_PATHS = { live: '/health/live', ready: '/health/ready' } as const;

/** Where IMAGES_ROOT is mounted inside every container (compose and Kubernetes alike). */
export const IMAGES_MOUNT_PATH = '/data/images';

export const APP_NAMES = Object.keys(DEPLOYABLE_APPS) as AppName[];
