import { Injectable } from '@nestjs/common';
import { RECIPE_OPERATING_POINTS } from '@visage/domain';
import { PersonImageRepository } from '@visage/persistence';
import { Gallery } from './gallery';
import { EnrolmentDisagreement, EnrolmentRow, findDisagreements } from './review-checks';

/** Every enrolment as of one gallery version, with what the review derives from them. */
export class EnrolmentSnapshot {
  readonly gallery: Gallery;
  private disagreementsByPerson?: Map<number, EnrolmentDisagreement>;

  constructor(
    readonly version: number,
    readonly rows: readonly EnrolmentRow[],
    /** Two enrolments of a person farther apart than this flag the person (the recipe's `enrolmentDisagreement`). */
    private readonly disagreementBound: number,
  ) {
    this.gallery = new Gallery(rows);
  }

  /** The gallery without the enrolments of these sources (the faces' own review enrolments, about to be replaced). */
  galleryWithout(sourceNames: ReadonlySet<string>): Gallery {
    if (!this.rows.some((row) => sourceNames.has(row.sourceName))) return this.gallery;
    return new Gallery(this.rows.filter((row) => !sourceNames.has(row.sourceName)));
  }

  /** Persons whose enrolments disagree with each other (computed once per version). */
  disagreements(): Map<number, EnrolmentDisagreement> {
    this.disagreementsByPerson ??= findDisagreements(this.rows, this.disagreementBound);
    return this.disagreementsByPerson;
  }
}

/**
 * The enrolments as the review checks them (naming a group, assigning a face, flagging a person), read from the
 * database on demand: one version query per call, the rows reloaded only when the gallery version moved. Unlike
 * the processor's GalleryService it never polls: the receiver and the dashboard need it only when asked.
 */
@Injectable()
export class EnrolmentIndex {
  private loaded?: EnrolmentSnapshot;
  private loading?: Promise<EnrolmentSnapshot>;

  constructor(private readonly enrolments: PersonImageRepository) {}

  async snapshot(): Promise<EnrolmentSnapshot> {
    const version = await this.enrolments.version();
    if (this.loaded && this.loaded.version === version) return this.loaded;
    this.loading ??= this.enrolments
      .loadGallery()
      .then(
        ({ version: loadedVersion, entries }) =>
          (this.loaded = new EnrolmentSnapshot(loadedVersion, entries, RECIPE_OPERATING_POINTS[this.enrolments.recipe].enrolmentDisagreement)),
      )
      .finally(() => (this.loading = undefined));
    return this.loading;
  }
}
