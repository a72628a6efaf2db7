import { describe, expect, it } from 'vitest';
import { ChangedImageRow, DashboardRepository, StatusCounts } from '@visage/persistence';
import { ThumbnailService } from '../thumbnails/thumbnail.service';
import { CHANGES_OVERLAP_MS, ImagesService } from './images.service';

const counts: StatusCounts = { pending: 1, processing: 0, processed: 0, unrecognized: 0, failed: 0, total: 1 };

function changed(id: number, updatedAt: number): ChangedImageRow {
  const at = new Date(updatedAt);
  return {
    id,
    path: `p/${id}.jpg`,
    status: 'pending',
    attempts: 0,
    lastError: null,
    permanentFailure: false,
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
  } as unknown as DashboardRepository;
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
