import { Injectable } from '@nestjs/common';
import { EnrolmentIndex } from '@visage/matcher';
import { DashboardPersonRepository, PersonRepository, REVIEW_SOURCE_PREFIX } from '@visage/persistence';
import { imagesHref, STATUS_LABELS } from '../images/image.presenter';
import { ThumbnailService, thumbnailUrl } from '../thumbnails/thumbnail.service';

/** `review:<faceId>`: a face enrolled by the review, shown by its crop. */
const REVIEW_SOURCE = new RegExp(`^${REVIEW_SOURCE_PREFIX}(\\d+)$`);

export interface PersonView {
  id: number;
  anchor: string;
  name: string;
  enrolledCount: number;
  enrolled: Array<{ id: number; sourceName: string; caption: string; thumbnailUrl?: string; outlier: boolean }>;
  /** Set when two enrolled faces are farther apart than the recipe's `enrolmentDisagreement` bound: they may show two people. */
  disagreement?: { spreadText: string };
  recognisedCount: number;
  allImagesUrl: string;
  recentImages: Array<{ id: number; path: string; statusLabel: string; status: string; thumbnailUrl: string; detailUrl: string }>;
}

@Injectable()
export class PersonsService {
  constructor(
    private readonly repository: DashboardPersonRepository,
    private readonly thumbnails: ThumbnailService,
    private readonly enrolments: EnrolmentIndex,
    private readonly people: PersonRepository,
  ) {}

  /** The person with exactly this name (the merge form names the person to keep). */
  /** Names are unique ignoring case, so "amy" finds Amy. */
  async idNamed(name: string): Promise<number | undefined> {
    return (await this.people.findByNameIgnoringCase(name))?.id;
  }

  async persons(): Promise<PersonView[]> {
    const [persons, snapshot] = await Promise.all([this.repository.listPersons(), this.enrolments.snapshot()]);
    const disagreements = snapshot.disagreements();
    return Promise.all(
      persons.map(async (person) => {
        const disagreement = disagreements.get(person.id);
        const outliers = new Set(disagreement?.outlierEnrolmentIds ?? []);
        return {
          id: person.id,
          anchor: `person-${person.id}`,
          name: person.name,
          enrolledCount: person.enrolled.length,
          disagreement: disagreement && { spreadText: disagreement.spread.toFixed(2) },
          enrolled: await Promise.all(
            person.enrolled.map(async (face) => {
              // Only sources that are files inside IMAGES_ROOT get a picture; a face enrolled by the review, its crop; others are listed by name.
              const located = await this.thumbnails.locate(face.sourceName);
              const reviewedFace = REVIEW_SOURCE.exec(face.sourceName)?.[1];
              return {
                id: face.id,
                sourceName: face.sourceName,
                // The file name people recognise, without the enrolment prefix (`known:`, `path:`).
                caption: reviewedFace ? `face #${reviewedFace}` : face.sourceName.replace(/^(known|path):/, ''),
                thumbnailUrl: located ? thumbnailUrl(located, 160) : reviewedFace ? `/faces/${reviewedFace}/crop` : undefined,
                outlier: outliers.has(face.id),
              };
            }),
          ),
          recognisedCount: person.recognisedCount,
          allImagesUrl: imagesHref({ personId: person.id }),
          recentImages: person.recentImages.map((image) => ({
            id: image.id,
            path: image.path,
            status: image.status,
            statusLabel: STATUS_LABELS[image.status] ?? image.status,
            thumbnailUrl: thumbnailUrl(image.path, 160),
            detailUrl: `/images/${image.id}`,
          })),
        };
      }),
    );
  }
}
