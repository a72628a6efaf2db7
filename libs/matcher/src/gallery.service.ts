import { Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { FaceMatcher } from '@visage/domain';
import { Gallery, GalleryMatch } from './gallery';
import { GallerySource } from './gallery-source';

/** What a replica's gallery holds now (readiness reports it). */
export interface GallerySnapshot {
  /** The source version loaded; undefined before the first load. */
  version?: string;
  descriptors: number;
  persons: number;
}

export interface GalleryServiceOptions {
  threshold: number;
  refreshMs: number;
}

/**
 * The {@link FaceMatcher} of a processor replica: the gallery in memory, reloaded when the database's enrolment
 * fingerprint changes. The fingerprint is checked at most every GALLERY_REFRESH_MS (in the background, and by
 * {@link ensureFresh} before a batch), so enrolments reach every replica without a restart and without
 * reloading every descriptor on every image. Built by {@link MatcherModule} (or directly in tests).
 */
export class GalleryService implements FaceMatcher, OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Gallery');
  private gallery = new Gallery([]);
  private loadedVersion?: string;
  private checkedAt = 0;
  private refreshing?: Promise<boolean>;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly source: GallerySource,
    private readonly options: GalleryServiceOptions,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => void this.ensureFresh().catch((error: Error) => this.logger.warn(`gallery refresh failed: ${error.message}`)), this.options.refreshMs);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }

  get size(): number {
    return this.gallery.size;
  }

  get threshold(): number {
    return this.options.threshold;
  }

  snapshot(): GallerySnapshot {
    return { version: this.loadedVersion, descriptors: this.gallery.size, persons: this.gallery.persons };
  }

  match(descriptor: Float32Array): GalleryMatch | undefined {
    return this.gallery.match(descriptor, this.options.threshold);
  }

  /** Reloads if the fingerprint changed and the last check is older than `maxAgeMs`; true when it reloaded. */
  async ensureFresh(maxAgeMs = this.options.refreshMs): Promise<boolean> {
    if (Date.now() - this.checkedAt < maxAgeMs && this.loadedVersion !== undefined) return false;
    return this.refresh();
  }

  /**
   * Checks the fingerprint with a check that starts after this call (a check already running may have read
   * the source before a change the caller just made) and reloads when it changed. Returns what is loaded.
   */
  async reloadNow(): Promise<GallerySnapshot> {
    await this.refreshing?.catch(() => false);
    await this.refresh();
    return this.snapshot();
  }

  /** Checks the fingerprint now (one check at a time) and reloads when it changed. */
  refresh(): Promise<boolean> {
    this.refreshing ??= this.reloadIfChanged().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async reloadIfChanged(): Promise<boolean> {
    const version = await this.source.version();
    this.checkedAt = Date.now();
    if (version === this.loadedVersion) return false;
    const entries = await this.source.loadGallery();
    this.gallery = new Gallery(entries);
    this.loadedVersion = version;
    this.logger.log(`gallery loaded: ${this.gallery.size} descriptor(s) of ${this.gallery.persons} person(s)`);
    return true;
  }
}
