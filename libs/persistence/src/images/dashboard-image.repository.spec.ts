import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MigratedTestDatabase, openTestDatabase, Rows, TEST_DRIVERS } from '../../test/test-databases';
import { DashboardImageRepository } from './dashboard-image.repository';
import { sleep } from '../../../../test/support/until';

describe.each(TEST_DRIVERS)('DashboardImageRepository on $name', (driver) => {
  let db: MigratedTestDatabase;
  let repository: DashboardImageRepository;
  let rows: Rows;
  const ids: number[] = [];

  beforeAll(async () => {
    db = await openTestDatabase(driver, 'visage_dashboard');
    repository = new DashboardImageRepository(db.dataSource);
    rows = new Rows(db.dataSource);
    const alice = await rows.person('Alice Liddell');
    const bob = await rows.person('Bob');
    await rows.person('amy');
    for (let n = 1; n <= 12; n += 1) {
      const status = n % 4 === 0 ? 'failed' : n % 3 === 0 ? 'processed' : 'pending';
      const image = await rows.image(`batch/img-${String(n).padStart(2, '0')}.jpg`, {
        status,
        attempts: status === 'failed' ? 2 : 0,
        lastError: status === 'failed' ? 'recognizer unavailable' : null,
      });
      ids.push(image.id);
    }
    await rows.face(ids[2], alice);
    await rows.face(ids[2], null);
    await rows.face(ids[2], alice);
    await rows.face(ids[5], bob);
    await rows.image('odd/100%_sure!.jpg');
    await rows.enrolled(alice.id, 'known/alice.jpg');
  });
  afterAll(() => db?.close());

  it('pages newest first with keyset cursors that cover every row exactly once, both ways', async () => {
    const seen: number[] = [];
    let page = await repository.listImages({ limit: 5 });
    expect(page.newerCursor).toBeUndefined();
    const pages = [page];
    seen.push(...page.rows.map((row) => row.id));
    while (page.olderCursor !== undefined) {
      page = await repository.listImages({ limit: 5, olderThan: page.olderCursor });
      pages.push(page);
      seen.push(...page.rows.map((row) => row.id));
    }
    expect(seen).toHaveLength(13);
    expect(seen).toEqual([...seen].sort((a, b) => b - a));
    expect(new Set(seen).size).toBe(13);
    expect(pages.map((p) => p.rows.length)).toEqual([5, 5, 3]);

    // Back from the last page: the newer page is exactly the middle page again.
    const back = await repository.listImages({ limit: 5, newerThan: pages[2].newerCursor });
    expect(back.rows.map((row) => row.id)).toEqual(pages[1].rows.map((row) => row.id));
    expect(back.olderCursor).toBe(pages[1].olderCursor);
    expect(back.newerCursor).toBe(pages[1].newerCursor);
  });

  it('filters by status and searches path or person name, wildcards taken literally', async () => {
    const failed = await repository.listImages({ limit: 50, status: 'failed' });
    expect(failed.rows.map((row) => row.path)).toEqual(['batch/img-12.jpg', 'batch/img-08.jpg', 'batch/img-04.jpg']);
    expect(failed.rows[0]).toMatchObject({ attempts: 2, lastError: 'recognizer unavailable' });

    const byName = await repository.listImages({ limit: 50, search: 'alice' });
    expect(byName.rows.map((row) => row.id)).toEqual([ids[2]]);
    expect(byName.rows[0].faceCount).toBe(3);
    expect(byName.rows[0].persons).toEqual([{ id: expect.any(Number), name: 'Alice Liddell' }]);

    const byPath = await repository.listImages({ limit: 50, search: 'img-1' });
    expect(byPath.rows.map((row) => row.path)).toEqual(['batch/img-12.jpg', 'batch/img-11.jpg', 'batch/img-10.jpg']);

    expect((await repository.listImages({ limit: 50, search: '%_' })).rows.map((row) => row.path)).toEqual(['odd/100%_sure!.jpg']);
    expect((await repository.listImages({ limit: 50, search: 'bob', status: 'failed' })).rows).toEqual([]);
  });

  it('counts images per status', async () => {
    expect(await repository.countByStatus()).toEqual({
      pending: 7,
      processing: 0,
      retrying: 0,
      processed: 3,
      unrecognized: 0,
      failed: 3,
      total: 13,
    });
  });

  it('returns rows changed after a time, flagged against the filter', async () => {
    const before = await repository.lastUpdatedAt();
    expect(before).toBeInstanceOf(Date);
    await sleep(1100); // SQLite's CURRENT_TIMESTAMP has whole seconds
    await rows.setStatus(ids[0], 'failed', { lastError: 'boom', attempts: 1 });
    const added = await rows.image('batch/new.jpg');
    const changed = await repository.changedSince(before!, 100, { status: 'failed' });
    expect(changed.map((row) => [row.id, row.status, row.matchesFilter])).toEqual([
      [ids[0], 'failed', true],
      [added.id, 'pending', false],
    ]);
    expect(await repository.changedSince((await repository.lastUpdatedAt())!, 100)).toEqual([]);
  });

  it('loads an image with its faces and matched persons, or nothing for an unknown id', async () => {
    const detail = await repository.findImage(ids[2]);
    expect(detail?.faces.map((face) => face.person?.name ?? null)).toEqual(['Alice Liddell', null, 'Alice Liddell']);
    expect(detail?.faces[0]).toMatchObject({ box: { x: 10, y: 20, width: 30, height: 40 }, score: expect.any(Number) });
    expect(detail?.faces[0].distance).toBeCloseTo(0.42, 5);
    expect(await repository.findImage(999_999)).toBeUndefined();
  });

  it('maps list rows and the image page with the same summary, width and height included', async () => {
    await rows.setStatus(ids[2], 'processed', { width: 640, height: 480 });
    const listed = (await repository.listImages({ limit: 50, status: 'processed' })).rows.find((row) => row.id === ids[2]);
    const detail = await repository.findImage(ids[2]);
    expect(listed).toMatchObject({ width: 640, height: 480 });
    const { claimedAt: _claimedAt, claimedBy: _claimedBy, faces: _faces, ...summary } = detail!;
    expect(listed).toEqual(summary);
  });
});
