import { Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { FaceMatcher, MatchRule, ScheduledJob } from '@visage/domain';
import { Gallery, GalleryMatch, VersionedGallery } from './gallery';
import { GallerySource } from './gallery-source';
import { metrics } from '@visage/observability';

/** What a replica's gallery holds now (readiness reports it). */
export interface GallerySummary {
  /** {@link NO_GALLERY_VERSION} before the first load. */
  version: number;
  descriptors: number;
  persons: number;
}

export interface GalleryServiceOptions {
  rule: MatchRule;
  refreshMs: number;
}

/** Version of a gallery service that has loaded nothing yet. */
export const NO_GALLERY_VERSION = -1;

/**
 * The {@link FaceMatcher} of a processor replica: the gallery in memory, reloaded when the database's gallery
 * version moves. The version is checked at most every GALLERY_REFRESH_MS (in the background, and by
 * {@link ensureFresh}), so enrolments reach every replica without a restart and without reloading every
 * descriptor on every image. Faces record the {@link version} they were matched against; the re-match job
 * brings older ones up to date. Built by {@link MatcherModule} (or directly in tests).
 */
export class GalleryService implements FaceMatcher, OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Gallery');
  private loaded: VersionedGallery;
  private checkedAt = 0;
  private refreshing?: Promise<boolean>;
  /** No lock: every replica holds its own gallery. */
  private readonly refreshes: ScheduledJob;

  constructor(
    private readonly source: GallerySource,
    private readonly options: GalleryServiceOptions,
  ) {
    this.loaded = new VersionedGallery(NO_GALLERY_VERSION, new Gallery([]), options.rule);
    this.refreshes = new ScheduledJob({ name: 'gallery refresh', schedule: { everyMs: options.refreshMs }, logger: this.logger });
  }

  async onModuleInit(): Promise<void> {
    await this.refresh();
    this.refreshes.start(() => this.ensureFresh());
  }

  onModuleDestroy(): void {
    this.refreshes.stop();
  }

  /** Gallery version held in memory ({@link NO_GALLERY_VERSION} before the first load). */
  get version(): number {
    return this.loaded.version;
  }

  get size(): number {
    return this.loaded.gallery.size;
  }

  /** Distinct persons in the loaded gallery. */
  get persons(): number {
    return this.loaded.gallery.persons;
  }

  get rule(): MatchRule {
    return this.options.rule;
  }

  snapshot(): GallerySummary {
    return { version: this.version, descriptors: this.size, persons: this.persons };
  }

  /** The gallery as loaded now; it does not change under the caller when a reload swaps in a newer one. */
  current(): VersionedGallery {
    return this.loaded;
  }

  match(descriptor: Float32Array): GalleryMatch | undefined {
    return this.loaded.match(descriptor);
  }

  /**
   * Resolves once the gallery in memory is at least `minimum` (checking the database at once, then every
   * `pollMs`); rejects after `timeoutMs`. For start-up gating: "my gallery holds the version enrolment made".
   */
  async awaitVersion(minimum: number, options: { timeoutMs?: number; pollMs?: number } = {}): Promise<void> {
    const deadline = Date.now() + (options.timeoutMs ?? Infinity);
    const pollMs = options.pollMs ?? Math.min(this.options.refreshMs, 250);
    while (this.version < minimum) {
      await this.refresh();
      if (this.version >= minimum) return;
      if (Date.now() + pollMs > deadline) throw new Error(`gallery version ${minimum} not reached (holding ${this.version})`);
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  }

  /** Reloads if the version moved and the last check is older than `maxAgeMs`; true when it reloaded. */
  async ensureFresh(maxAgeMs = this.options.refreshMs): Promise<boolean> {
    if (Date.now() - this.checkedAt < maxAgeMs && this.version !== NO_GALLERY_VERSION) return false;
    return this.refresh();
  }

  /** Checks the version now (one check at a time) and reloads when it moved. */
  refresh(): Promise<boolean> {
    this.refreshing ??= this.reloadIfChanged().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async reloadIfChanged(): Promise<boolean> {
    const version = await this.source.version();
    this.checkedAt = Date.now();
    if (version === this.version) return false;
    const loaded = await this.source.loadGallery();
    const gallery = new Gallery(loaded.entries);
    this.loaded = new VersionedGallery(loaded.version, gallery, this.options.rule);
    metrics.galleryDescriptors.set(gallery.size);
    metrics.galleryVersion.set(loaded.version);
    this.logger.log(`gallery version ${loaded.version} loaded: ${gallery.size} descriptor(s) of ${gallery.persons} person(s)`);
    return true;
  }
}
