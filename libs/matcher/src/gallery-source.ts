import { GalleryEntry } from './gallery';

/** Where the gallery comes from (the person_images table in production). */
export interface GallerySource {
  /** The gallery version: a counter that grows with every enrolment added or removed and every person deleted. */
  version(): Promise<number>;
  /** Every enrolled descriptor, in enrolment order, with the version they are. */
  loadGallery(): Promise<{ version: number; entries: GalleryEntry[] }>;
}

export const GALLERY_SOURCE = Symbol('GALLERY_SOURCE');
