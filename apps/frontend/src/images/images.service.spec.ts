import { describe, expect, it } from 'vitest';
import { ChangedImageRow, DashboardImageRepository, DetectedFaceRow, ImageDetail, StatusCounts } from '@visage/persistence';
import { ThumbnailService } from '../thumbnails/thumbnail.service';
import { CHANGES_OVERLAP_MS, ImagesService } from './images.service';

const counts: StatusCounts = { pending: 1, processing: 0, retrying: 0, processed: 0, unrecognized: 0, failed: 0, total: 1 };

function changed(id: number, updatedAt: number): ChangedImageRow {
  const at = new Date(updatedAt);
  return {
    id,
    path: `p/${id}.jpg`,
    status: 'pending',
    attempts: 0,
    lastError: null,
    permanentFailure: false,
    nextAttemptAt: null,
    width: 640,
    height: 480,
    faceCount: 0,
    persons: [],
    createdAt: at,
    updatedAt: at,
    matchesFilter: true,
  };
}

function serviceReturning(rows: ChangedImageRow[]): { service: ImagesService; countCalls: () => number } {
  let calls = 0;
  const repository = {
    changedSince: async () => rows,
    countByStatus: async () => {
      calls += 1;
      return counts;
    },
  } as unknown as DashboardImageRepository;
  return { service: new ImagesService(repository, {} as ThumbnailService), countCalls: () => calls };
}

describe('ImagesService.changes cursor', () => {
  const now = Date.parse('2026-01-01T12:00:10.000Z');
  const since = new Date('2026-01-01T12:00:00.000Z');

  it('stays put and skips counting when nothing changed', async () => {
    const { service, countCalls } = serviceReturning([]);
    expect(await service.changes(since, {}, now)).toEqual({ cursor: since.toISOString(), rows: [] });
    expect(countCalls()).toBe(0);
  });

  it('advances to the newest change but never closer to now than the overlap', async () => {
    const old = serviceReturning([changed(1, since.getTime() + 3_000)]);
    expect((await old.service.changes(since, {}, now)).cursor).toBe(new Date(since.getTime() + 3_000).toISOString());
    const recent = serviceReturning([changed(2, now - 500)]);
    const view = await recent.service.changes(since, {}, now);
    expect(view.cursor).toBe(new Date(now - CHANGES_OVERLAP_MS).toISOString());
    expect(view.counts?.find((count) => count.status === 'pending')?.count).toBe(1);
    expect(recent.countCalls()).toBe(1);
  });

  it('never moves backwards', async () => {
    const { service } = serviceReturning([changed(3, now - 100)]);
    const later = new Date(now - 1_000);
    expect((await service.changes(later, {}, now)).cursor).toBe(later.toISOString());
  });
});

const NO_QUALITY_ISSUE = { lowQuality: false, reasons: [], sharpness: 500, yaw: 0, pitch: 0, roll: 0 };

describe('ImagesService.detail face labels', () => {
  // Two faces side by side as in ../shared/faces/groups/obama_and_biden.jpg (1024 × 731): labels above both would collide.
  const face = (id: number, name: string, box: DetectedFaceRow['box']): DetectedFaceRow => ({
    id,
    box,
    score: 0.99,
    distance: 0.4,
    person: { id, name },
    galleryVersion: 1,
    matchedAt: null,
    quality: NO_QUALITY_ISSUE,
  });
  const image: ImageDetail = {
    ...changed(2, Date.parse('2026-01-01T12:00:00.000Z')),
    status: 'processed',
    width: 1024,
    height: 731,
    claimedAt: null,
    claimedBy: null,
    faces: [
      face(1, 'barack-obama', { x: 587.026, y: 179.2057, width: 88.6384, height: 130.0469 }),
      face(2, 'joe-biden', { x: 389.7738, y: 188.9378, width: 88.5652, height: 140.535 }),
    ],
  };
  const service = new ImagesService(
    { findImage: async () => image } as unknown as DashboardImageRepository,
    { dimensions: async () => ({ width: 1024, height: 731 }) } as unknown as ThumbnailService,
  );

  it('moves a label that would cover an earlier one below its own box', async () => {
    const [first, second] = (await service.detail(2))!.faces;
    expect(first.tag.y + first.tag.height).toBeLessThanOrEqual(first.box.y);
    const collideAbove = second.tag.x < first.tag.x + first.tag.width && first.tag.x < second.tag.x + second.tag.width;
    expect(collideAbove).toBe(true);
    expect(second.tag.y).toBeCloseTo(second.box.y + second.box.height, 5);
  });

  it('keeps the box at the detector coordinates and rounds it only for the table', async () => {
    const [first] = (await service.detail(2))!.faces;
    expect(first.box).toEqual({ x: 587.026, y: 179.2057, width: 88.6384, height: 130.0469 });
    expect(first.boxText).toBe('587, 179, 89 × 130');
  });

  it('marks a face of low quality, saying why, and offers no "This is …" for it', async () => {
    const blurred: DetectedFaceRow = {
      ...face(3, 'x', { x: 10, y: 10, width: 30, height: 30 }),
      person: null,
      quality: { ...NO_QUALITY_ISSUE, lowQuality: true, reasons: ['too_small', 'turned_away'] },
    };
    const lowService = new ImagesService(
      { findImage: async () => ({ ...image, faces: [blurred] }) } as unknown as DashboardImageRepository,
      { dimensions: async () => ({ width: 1024, height: 731 }) } as unknown as ThumbnailService,
    );
    const [low] = (await lowService.detail(2))!.faces;
    expect(low).toMatchObject({ lowQuality: true, qualityText: 'low quality: too small, turned away', label: '1 · unknown (low quality)' });
    const [good] = (await service.detail(2))!.faces;
    expect(good).toMatchObject({ lowQuality: false, qualityText: '' });
  });
});
