import { Injectable } from '@nestjs/common';
import { parseRouteId } from '@visage/domain';
import { DashboardRepository, REVIEW_SOURCE_PREFIX } from '@visage/persistence';
import { imagesHref, STATUS_LABELS } from '../images/image.presenter';
import { ThumbnailService, thumbnailUrl } from '../thumbnails/thumbnail.service';

export interface PersonView {
  id: number;
  anchor: string;
  name: string;
  enrolledCount: number;
  enrolled: Array<{ sourceName: string; caption: string; thumbnailUrl?: string }>;
  recognisedCount: number;
  allImagesUrl: string;
  recentImages: Array<{ id: number; path: string; statusLabel: string; status: string; thumbnailUrl: string; detailUrl: string }>;
}

@Injectable()
export class PersonsService {
  constructor(
    private readonly repository: DashboardRepository,
    private readonly thumbnails: ThumbnailService,
  ) {}

  async persons(): Promise<PersonView[]> {
    const persons = await this.repository.listPersons();
    return Promise.all(
      persons.map(async (person) => ({
        id: person.id,
        anchor: `person-${person.id}`,
        name: person.name,
        enrolledCount: person.enrolled.length,
        enrolled: await Promise.all(
          person.enrolled.map(async (face) => {
            // A face enrolled through review (`review:<faceId>`) is shown by its crop, as on the review pages.
            const reviewedFace = face.sourceName.startsWith(REVIEW_SOURCE_PREFIX) ? parseRouteId(face.sourceName.slice(REVIEW_SOURCE_PREFIX.length)) : undefined;
            if (reviewedFace !== undefined) return { sourceName: face.sourceName, caption: `face #${reviewedFace}`, thumbnailUrl: `/faces/${reviewedFace}/crop` };
            // Other sources get a picture when they are files inside IMAGES_ROOT; the rest are listed by name.
            const located = await this.thumbnails.locate(face.sourceName);
            return {
              sourceName: face.sourceName,
              // The file name people recognise, without the enrolment prefix (`known:`, `path:`).
              caption: face.sourceName.replace(/^(known|path):/, ''),
              thumbnailUrl: located ? thumbnailUrl(located, 160) : undefined,
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
      })),
    );
  }
}
