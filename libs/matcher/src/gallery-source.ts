import { GalleryEntry } from './gallery';

/** Where the gallery comes from (the person_images table in production). */
export interface GallerySource {
  /** A cheap fingerprint that changes whenever an enrolment is added, replaced or removed. */
  version(): Promise<string>;
  /** Every enrolled descriptor, in enrolment order. */
  loadGallery(): Promise<GalleryEntry[]>;
}

export const GALLERY_SOURCE = Symbol('GALLERY_SOURCE');
