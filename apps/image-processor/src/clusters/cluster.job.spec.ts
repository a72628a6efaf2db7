import { Logger } from '@nestjs/common';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '@visage/config';
import { DESCRIPTOR_LENGTH } from '@visage/domain';
import { ClusterMemberEntity, encodeDescriptor, FaceClusterRepository, FaceEntity, ImageEntity, LockRepository, PersonEntity } from '@visage/persistence';
import { MigratedTestDatabase, openTestDatabase, Rows, TEST_DRIVERS } from '../../../../libs/persistence/test/test-databases';
import { processorSettingsFrom } from '../processor.settings';
import { ClusterJob } from './cluster.job';

const settings = processorSettingsFrom(parseConfig({ MATCH_THRESHOLD: '0.5' }), 'cluster-test');

/** A person: a pseudo-random point; people are ~1.2 apart. */
function person(seed: number): Float32Array {
  const out = new Float32Array(DESCRIPTOR_LENGTH);
  let state = (seed + 1) * 2654435761;
  for (let index = 0; index < DESCRIPTOR_LENGTH; index++) {
    state = (state * 1103515245 + 12345) % 2147483648;
    out[index] = (state / 2147483648 - 0.5) * 0.3;
  }
  return out;
}

/** A photo of `who`: moved by `offset` along one axis (distinct axes per photo, so photos differ). */
function photo(who: number, axis: number, offset = 0.15): Float32Array {
  const out = person(who);
  out[axis] += offset;
  return out;
}

describe.each(TEST_DRIVERS)('clustering unknown faces on $name', (driver) => {
  let database: MigratedTestDatabase;
  let rows: Rows;
  let clusters: FaceClusterRepository;
  let job: ClusterJob;

  beforeAll(async () => {
    Logger.overrideLogger(false);
    database = await openTestDatabase(driver, 'visage_clusters');
    rows = new Rows(database.dataSource);
    clusters = new FaceClusterRepository(database.dataSource);
    job = new ClusterJob(clusters, new LockRepository(database.dataSource), settings, false);
  });
  afterAll(async () => {
    await database?.close();
  });
  beforeEach(async () => {
    for (const table of ['cluster_members', 'face_clusters', 'faces', 'images', 'persons']) await database.dataSource.query(`DELETE FROM ${table}`);
  });

  let counter = 0;
  /** An unrecognized image with one unknown face of descriptor `descriptor`; returns the face id. */
  async function unknownFace(descriptor: Float32Array, personId: number | null = null): Promise<number> {
    const image = await rows.image(`clusters/${++counter}.jpg`, { status: personId ? 'processed' : 'unrecognized' });
    const face = await rows.face(image.id, null);
    await database.dataSource.getRepository(FaceEntity).update({ id: face.id }, { descriptor: encodeDescriptor(descriptor), galleryVersion: 1, personId });
    return face.id;
  }

  async function groups(): Promise<number[][]> {
    const members = await database.dataSource.getRepository(ClusterMemberEntity).find({ order: { faceId: 'ASC' } });
    const byCluster = new Map<number, number[]>();
    for (const member of members) if (member.clusterId !== null) byCluster.set(member.clusterId, [...(byCluster.get(member.clusterId) ?? []), member.faceId]);
    return [...byCluster.values()].sort((a, b) => b.length - a.length || a[0] - b[0]);
  }

  it('groups the unknown faces of each person, incrementally as new faces arrive', async () => {
    const ada = [await unknownFace(photo(1, 0)), await unknownFace(photo(1, 1)), await unknownFace(photo(1, 2))];
    const bob = [await unknownFace(photo(2, 0)), await unknownFace(photo(2, 1))];
    const stranger = await unknownFace(person(3));
    const grace = await database.dataSource.getRepository(PersonEntity).save({ name: 'grace' });
    await unknownFace(photo(1, 3), grace.id); // named: never grouped

    expect(await job.runOnce()).toMatchObject({ ran: true, faces: 6, created: 3, merged: 0 });
    expect(await groups()).toEqual([ada, bob, [stranger]]);
    const listed = await clusters.list(10);
    expect(listed.map((group) => [group.id, group.size, group.imageCount])).toEqual([
      [ada[0], 3, 3],
      [bob[0], 2, 2],
      [stranger, 1, 1],
    ]);
    expect(listed[0].sampleFaces.map((face) => face.faceId)).toEqual(ada);

    // A new photo of ada joins her group; nothing else is read again.
    const later = await unknownFace(photo(1, 4));
    expect(await job.runOnce({ sweep: false })).toMatchObject({ ran: true, faces: 1, created: 0 });
    expect((await groups())[0]).toEqual([...ada, later]);
    expect(await job.runOnce({ sweep: false })).toMatchObject({ ran: true, faces: 0 });
  });

  it('the review: a removed face is left alone, an ignored group keeps its look-alikes, named faces leave their group', async () => {
    const ada = [await unknownFace(photo(1, 0)), await unknownFace(photo(1, 1)), await unknownFace(photo(1, 2))];
    const poster = [await unknownFace(photo(5, 0)), await unknownFace(photo(5, 1))];
    await job.runOnce();

    // "Not the same person": out of the group, never grouped again; the centroid follows the remaining members.
    expect(await clusters.removeFace(ada[0], ada[2])).toBe(true);
    expect(await clusters.removeFace(ada[0], ada[2])).toBe(false);
    expect(await job.runOnce({ sweep: true })).toMatchObject({ ran: true, faces: 0, recomputed: 1 });
    expect(await groups()).toEqual([ada.slice(0, 2), poster]);
    const [stored] = (await clusters.loadClusters()).filter((cluster) => cluster.id === ada[0]);
    expect(stored).toMatchObject({ size: 2, dirty: false });
    expect(stored.centroid[0]).toBeCloseTo((photo(1, 0)[0] + photo(1, 1)[0]) / 2, 5);

    // Ignored: no longer listed, and a new photo of the poster joins it instead of starting a group.
    expect(await clusters.ignore(poster[0])).toBe(true);
    const again = await unknownFace(photo(5, 2));
    await job.runOnce({ sweep: false });
    expect((await clusters.find(poster[0]))?.faces.map((face) => face.faceId)).toEqual([...poster, again]);
    expect((await clusters.list(10)).map((group) => group.id)).toEqual([ada[0]]);

    // A face named by a re-match leaves its group at the next sweep; unnamed again, it comes back.
    const grace = await database.dataSource.getRepository(PersonEntity).save({ name: 'grace' });
    await database.dataSource.getRepository(FaceEntity).update({ id: ada[1] }, { personId: grace.id });
    expect(await job.runOnce({ sweep: true })).toMatchObject({ pruned: 1 });
    expect((await groups())[0]).toEqual([...poster, again]);
    expect((await clusters.find(ada[0]))?.size).toBe(1);
    await database.dataSource.getRepository(FaceEntity).update({ id: ada[1] }, { personId: null });
    expect(await job.runOnce({ sweep: true })).toMatchObject({ faces: 1, created: 0 });
    expect((await clusters.find(ada[0]))?.faces.map((face) => face.faceId)).toEqual(ada.slice(0, 2));
  });

  it('merges two groups of one person once a face between them brings their centroids together', async () => {
    // Two photos 0.6 apart (farther than the threshold): two groups.
    const left = await unknownFace(photo(7, 0, -0.3));
    const right = await unknownFace(photo(7, 0, 0.3));
    expect(await job.runOnce()).toMatchObject({ created: 2, merged: 0 });
    // Faces in the middle join the nearer group and pull its centroid within reach of the other.
    const middle = [await unknownFace(photo(7, 0, -0.05)), await unknownFace(photo(7, 0, 0)), await unknownFace(photo(7, 0, 0.05))];
    expect(await job.runOnce({ sweep: false })).toMatchObject({ faces: 3, merged: 1 });
    expect(await groups()).toEqual([[left, right, ...middle].sort((a, b) => a - b)]);
    expect(await database.dataSource.getRepository(ImageEntity).count()).toBe(5);
  });

  it('two replicas running at once place each face once (job lock)', async () => {
    await unknownFace(photo(1, 0));
    const other = new ClusterJob(clusters, new LockRepository(database.dataSource), settings, false);
    const reports = await Promise.all([job.runOnce(), other.runOnce()]);
    expect(reports.reduce((sum, report) => sum + (report.ran ? report.faces : 0), 0)).toBe(1);

    // Each keeps its groups in memory between runs, and notices what the other one wrote meanwhile.
    await job.runOnce({ sweep: false });
    const bob = await unknownFace(photo(2, 0));
    expect(await other.runOnce({ sweep: false })).toMatchObject({ faces: 1, created: 1 });
    await unknownFace(photo(2, 1));
    expect(await job.runOnce({ sweep: false })).toMatchObject({ faces: 1, created: 0 });
    expect((await groups()).find((faces) => faces.includes(bob))).toHaveLength(2);
  });
});
