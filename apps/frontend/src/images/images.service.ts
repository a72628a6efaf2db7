import { Injectable } from '@nestjs/common';
import { DashboardImageRepository, DetectedFaceRow, ImageDetail } from '@visage/persistence';
import { DETAIL_PICTURE_SIZE, ThumbnailService, thumbnailUrl } from '../thumbnails/thumbnail.service';
import { formatTime, ImageRowView, imagesHref, presentCounts, presentImageRow, STATUS_LABELS, StatusCountView } from './image.presenter';
import { ImagesFilterQuery, ImagesPageQuery } from './images.query';

export const PAGE_SIZE = 50;
/** Changes younger than this are sent again on the next poll: a transaction that commits late is not missed. */
export const CHANGES_OVERLAP_MS = 2_000;
const CHANGES_LIMIT = 200;

export interface ImagesPageView {
  counts: StatusCountView[];
  total: number;
  rows: ImageRowView[];
  status?: string;
  search?: string;
  personId?: number;
  statusOptions: Array<{ value: string; label: string; selected: boolean }>;
  newerHref?: string;
  olderHref?: string;
  firstHref?: string;
  live: { since: string; firstPage: boolean; pageSize: number };
}

export interface ChangesView {
  cursor: string;
  /** Only when something changed: counts cannot move otherwise, and counting is the costly part of a poll. */
  counts?: StatusCountView[];
  total?: number;
  rows: Array<ImageRowView & { matchesFilter: boolean }>;
}

export interface FaceView {
  /** The face's id: the review's actions ("This is …", "Not <name>") and its crop. */
  id: number;
  number: number;
  known: boolean;
  /** Judged of low quality: never named or enrolled, so no "This is …" either; `qualityText` says why. */
  lowQuality: boolean;
  qualityText: string;
  name: string;
  label: string;
  distanceText: string;
  scoreText: string;
  box: { x: number; y: number; width: number; height: number };
  /** The box in whole pixels for the faces table (the detector's sub-pixel coordinates are noise to a reader). */
  boxText: string;
  tag: { x: number; y: number; width: number; height: number; textX: number; textY: number };
  personUrl?: string;
}

export interface ImageDetailView {
  image: ImageRowView & {
    createdText: string;
    claimedText: string;
    claimedBy: string;
    permanentFailure: boolean;
    /** While retrying: when the next automatic attempt is due (ISO, and as shown). */
    nextAttemptAt: string;
    nextAttemptText: string;
  };
  picture?: { url: string; width: number; height: number; fontSize: number };
  faces: FaceView[];
  canRetry: boolean;
}

@Injectable()
export class ImagesService {
  constructor(
    private readonly repository: DashboardImageRepository,
    private readonly thumbnails: ThumbnailService,
  ) {}

  async imagesPage(query: ImagesPageQuery): Promise<ImagesPageView> {
    const filter = { status: query.status, search: query.search, personId: query.personId };
    const [counts, page, since] = await Promise.all([
      this.repository.countByStatus(),
      this.repository.listImages({ ...filter, olderThan: query.older, newerThan: query.newer, limit: PAGE_SIZE }),
      this.repository.lastUpdatedAt(),
    ]);
    const onFirstPage = query.older === undefined && query.newer === undefined;
    return {
      counts: presentCounts(counts, query.status, query.search, query.personId),
      total: counts.total,
      rows: page.rows.map(presentImageRow),
      status: query.status,
      search: query.search,
      personId: query.personId,
      statusOptions: Object.entries(STATUS_LABELS).map(([value, label]) => ({ value, label, selected: value === query.status })),
      newerHref: page.newerCursor !== undefined ? imagesHref({ ...filter, newer: page.newerCursor }) : undefined,
      olderHref: page.olderCursor !== undefined ? imagesHref({ ...filter, older: page.olderCursor }) : undefined,
      firstHref: onFirstPage ? undefined : imagesHref(filter),
      // Start a little before the newest change, for the same reason as the overlap in `changes`.
      live: {
        since: new Date(since ? since.getTime() - CHANGES_OVERLAP_MS : 0).toISOString(),
        firstPage: onFirstPage,
        pageSize: PAGE_SIZE,
      },
    };
  }

  async changes(since: Date, filter: ImagesFilterQuery, now = Date.now()): Promise<ChangesView> {
    const rows = await this.repository.changedSince(since, CHANGES_LIMIT, filter);
    const counts = rows.length > 0 ? await this.repository.countByStatus() : undefined;
    const newest = rows.at(-1)?.updatedAt.getTime();
    // A full batch means more are waiting: move past it; otherwise stay a little behind "now" (see overlap).
    const next =
      newest === undefined
        ? since.getTime()
        : rows.length >= CHANGES_LIMIT
          ? newest
          : Math.max(since.getTime(), Math.min(newest, now - CHANGES_OVERLAP_MS));
    return {
      cursor: new Date(next).toISOString(),
      ...(counts ? { counts: presentCounts(counts, filter.status, filter.search, filter.personId), total: counts.total } : {}),
      rows: rows.map((row) => ({ ...presentImageRow(row), matchesFilter: row.matchesFilter })),
    };
  }

  async row(id: number): Promise<ImageRowView | undefined> {
    const image = await this.repository.findImage(id);
    return image ? presentImageRow(image) : undefined;
  }

  async detail(id: number): Promise<ImageDetailView | undefined> {
    const image = await this.repository.findImage(id);
    if (!image) return undefined;
    const size = await this.pictureSize(image);
    const fontSize = size ? Math.max(12, Math.round(Math.max(size.width, size.height) / 45)) : 12;
    return {
      image: {
        ...presentImageRow(image),
        createdText: formatTime(image.createdAt),
        claimedText: formatTime(image.claimedAt),
        nextAttemptAt: image.nextAttemptAt?.toISOString() ?? '',
        nextAttemptText: formatTime(image.nextAttemptAt),
        claimedBy: image.claimedBy ?? '',
        permanentFailure: image.permanentFailure,
      },
      picture: size ? { url: thumbnailUrl(image.path, DETAIL_PICTURE_SIZE), ...size, fontSize } : undefined,
      faces: presentFaces(image.faces, fontSize, size),
      canRetry: image.status === 'failed',
    };
  }

  /** The recognizer stores the oriented size; before that (pending, failed) ask the file itself. */
  private async pictureSize(image: ImageDetail): Promise<{ width: number; height: number } | undefined> {
    const fromFile = await this.thumbnails.dimensions(image.path);
    if (!fromFile) return undefined; // nothing to draw on: the file is gone or unreadable
    return image.width && image.height ? { width: image.width, height: image.height } : fromFile;
  }
}

type Rect = { x: number; y: number; width: number; height: number };

const overlaps = (a: Rect, b: Rect) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

/** Every face of one picture; a label that would cover an earlier one moves to its next place. */
function presentFaces(faces: DetectedFaceRow[], fontSize: number, size: { width: number; height: number } | undefined): FaceView[] {
  const placed: Rect[] = [];
  return faces.map((face, index) => {
    const view = presentFace(face, index + 1, fontSize, size, placed);
    placed.push(view.tag);
    return view;
  });
}

function presentFace(
  face: DetectedFaceRow,
  number: number,
  fontSize: number,
  size: { width: number; height: number } | undefined,
  otherTags: Rect[] = [],
): FaceView {
  const known = face.person !== null;
  const distanceText = face.distance === null ? '' : face.distance.toFixed(2);
  const lowQuality = face.quality.lowQuality;
  const qualityText = lowQuality ? `low quality: ${face.quality.reasons.map((reason) => reason.replaceAll('_', ' ')).join(', ')}` : '';
  // Numbered like the table's rows, so a box and its row are found from either side.
  const label = `${number} · ${known ? `${face.person!.name} (${distanceText})` : lowQuality ? 'unknown (low quality)' : 'unknown'}`;
  const width = size?.width ?? face.box.x + face.box.width;
  const height = size?.height ?? face.box.y + face.box.height;
  const pad = Math.round(fontSize * 0.35);
  const tagHeight = Math.round(fontSize * 1.45);
  const tagWidth = Math.round(label.length * fontSize * 0.6 + pad * 2);
  const tagX = Math.max(0, Math.min(face.box.x, width - tagWidth));
  // Above the box when there is room, else below it, else inside its top edge; of those, the first that leaves
  // the labels of the faces before it readable (neighbours' labels collide above close faces).
  const above = face.box.y - tagHeight;
  const below = face.box.y + face.box.height;
  const places = [above >= 0 ? above : undefined, below + tagHeight <= height ? below : undefined, face.box.y].filter(
    (y): y is number => y !== undefined,
  );
  const tagY = places.find((y) => !otherTags.some((other) => overlaps({ x: tagX, y, width: tagWidth, height: tagHeight }, other))) ?? places[0];
  const round = Math.round;
  return {
    id: face.id,
    number,
    known,
    lowQuality,
    qualityText,
    name: face.person?.name ?? 'unknown',
    label,
    distanceText,
    scoreText: face.score.toFixed(2),
    box: face.box,
    boxText: `${round(face.box.x)}, ${round(face.box.y)}, ${round(face.box.width)} × ${round(face.box.height)}`,
    tag: { x: tagX, y: tagY, width: tagWidth, height: tagHeight, textX: tagX + pad, textY: tagY + Math.round(fontSize * 1.08) },
    personUrl: face.person ? `/persons#person-${face.person.id}` : undefined,
  };
}
