import { Logger } from '@nestjs/common';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '@visage/config';
import { DEFAULT_DESCRIPTOR_RECIPE, DESCRIPTOR_LENGTH, DescriptorRecipe } from '@visage/domain';
import {
  ClusteringRepository,
  ClusterMemberEntity,
  encodeDescriptor,
  FaceClusterEntity,
  FaceClusterRepository,
  FaceEntity,
  ImageEntity,
  LockRepository,
  PersonEntity,
} from '@visage/persistence';
import { MigratedTestDatabase, openTestDatabase, Rows, TEST_DRIVERS } from '../../../../libs/persistence/test/test-databases';
import { processorSettingsFrom } from '../processor.settings';
import { ClusterJob, clusteringRule } from './cluster.job';

const settings = processorSettingsFrom(parseConfig({ CLUSTER_THRESHOLD: '0.5' }), 'cluster-test');

/** A person: a pseudo-random point; people are far apart (~2.8 over 512 floats), a photo 0.1–0.16 off. */
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
  let clustering: ClusteringRepository;
  let clusters: FaceClusterRepository;
  let job: ClusterJob;

  beforeAll(async () => {
    Logger.overrideLogger(false);
    database = await openTestDatabase(driver, 'visage_clusters');
    rows = new Rows(database.dataSource);
    clustering = new ClusteringRepository(database.dataSource);
    clusters = new FaceClusterRepository(database.dataSource);
    job = new ClusterJob(clustering, new LockRepository(database.dataSource), settings, false);
  });
  afterAll(async () => {
    await database?.close();
  });
  beforeEach(async () => {
    for (const table of ['cluster_exclusions', 'cluster_members', 'face_clusters', 'clustering_state', 'faces', 'images', 'persons'])
      await database.dataSource.query(`DELETE FROM ${table}`);
  });

  let counter = 0;
  /**
   * An unknown face of descriptor `descriptor` (100 px, groupable) in a new unrecognized image, or in image
   * `imageId`; returns the face id.
   */
  async function unknownFace(
    descriptor: Float32Array,
    options: { personId?: number; imageId?: number; size?: number; recipe?: DescriptorRecipe } = {},
  ): Promise<number> {
    const imageId =
      options.imageId ?? (await rows.image(`clusters/${++counter}.jpg`, { status: options.personId ? 'processed' : 'unrecognized' })).id;
    const size = options.size ?? 100;
    const face = await rows.face(imageId, null, { x: 10, y: 20, width: size, height: size });
    await database.dataSource.getRepository(FaceEntity).update(
      { id: face.id },
      {
        descriptor: encodeDescriptor(descriptor),
        descriptorRecipe: options.recipe ?? DEFAULT_DESCRIPTOR_RECIPE,
        galleryVersion: 1,
        personId: options.personId ?? null,
      },
    );
    return face.id;
  }

  async function groups(): Promise<number[][]> {
    const members = await database.dataSource.getRepository(ClusterMemberEntity).find({ order: { faceId: 'ASC' } });
    const byCluster = new Map<number, number[]>();
    for (const member of members)
      if (member.clusterId !== null) byCluster.set(member.clusterId, [...(byCluster.get(member.clusterId) ?? []), member.faceId]);
    return [...byCluster.values()].sort((a, b) => b.length - a.length || a[0] - b[0]);
  }

  async function groupOf(faceId: number): Promise<number | null | undefined> {
    return (await database.dataSource.getRepository(ClusterMemberEntity).findOneBy({ faceId }))?.clusterId;
  }

  it('groups the unknown faces of each person, incrementally as new faces arrive; tiny faces are never grouped', async () => {
    const ada = [await unknownFace(photo(1, 0)), await unknownFace(photo(1, 1)), await unknownFace(photo(1, 2))];
    const bob = [await unknownFace(photo(2, 0, 0.1)), await unknownFace(photo(2, 1, 0.1))];
    const stranger = await unknownFace(person(3));
    const tiny = await unknownFace(photo(1, 5), { size: 30 });
    const grace = await database.dataSource.getRepository(PersonEntity).save({ name: 'grace' });
    await unknownFace(photo(1, 3), { personId: grace.id }); // named: never grouped
    // Ada's face of another descriptor recipe: not comparable, waits for its re-description.
    const otherRecipe = await unknownFace(photo(1, 4), { recipe: 'crop' });

    expect(await job.runOnce()).toMatchObject({ ran: true, faces: 6, created: 3, merged: 0, regrouped: true });
    expect(await groups()).toEqual([ada, bob, [stranger]]);
    expect(await groupOf(tiny)).toBeUndefined();
    expect(await groupOf(otherRecipe)).toBeUndefined();
    expect(await clustering.clusteringRule()).toBe(clusteringRule(0.5, DEFAULT_DESCRIPTOR_RECIPE));
    const listed = await clusters.list(10);
    // Most cohesive first (bob's two photos are closer than ada's three), the group of one face last.
    expect(listed.map((group) => [group.size, group.imageCount, group.outlierCount])).toEqual([
      [2, 2, 0],
      [3, 3, 0],
      [1, 1, 0],
    ]);
    expect(listed[0].cohesion).toBeCloseTo(0.1 * Math.SQRT2, 4);
    expect(listed[2].cohesion).toBeNull();
    expect(listed[1].sampleFaces.map((face) => face.faceId)).toEqual(ada);

    // A new photo of ada joins her group; nothing else is read again.
    const later = await unknownFace(photo(1, 4));
    expect(await job.runOnce({ sweep: false })).toMatchObject({ ran: true, faces: 1, created: 0, regrouped: false });
    expect((await groups())[0]).toEqual([...ada, later]);
    expect(await job.runOnce({ sweep: false })).toMatchObject({ ran: true, faces: 0 });
  });

  it('two faces of one image never share a group, however alike', async () => {
    const image = await rows.image(`clusters/${++counter}.jpg`, { status: 'unrecognized' });
    const twins = [await unknownFace(photo(4, 0), { imageId: image.id }), await unknownFace(photo(4, 0, 0.16), { imageId: image.id })];
    const later = await unknownFace(photo(4, 1));
    await job.runOnce();
    expect(await groupOf(twins[0])).not.toBe(await groupOf(twins[1]));
    expect([await groupOf(twins[0]), await groupOf(twins[1])]).toContain(await groupOf(later));
  });

  it('the review: a face split off never rejoins that group, an ignored group keeps its look-alikes, named faces leave their group', async () => {
    // ada[1] is nearer ada[0] than ada[2]: where it goes back to below is not a tie.
    const ada = [await unknownFace(photo(1, 0, 0.1)), await unknownFace(photo(1, 1, 0.1)), await unknownFace(photo(1, 2, 0.2))];
    const poster = [await unknownFace(photo(5, 0)), await unknownFace(photo(5, 1))];
    await job.runOnce();
    const adaGroup = (await groupOf(ada[0])) as number;
    const posterGroup = (await groupOf(poster[0])) as number;

    // "Not the same person": out of the group with a cannot-link; the next run groups it on its own.
    expect(await clusters.removeFace(adaGroup, ada[2])).toBe(true);
    expect(await clusters.removeFace(adaGroup, ada[2])).toBe(false);
    expect(await job.runOnce({ sweep: true })).toMatchObject({ ran: true, faces: 1, created: 1, recomputed: 1 });
    expect(await groups()).toEqual([ada.slice(0, 2), poster, [ada[2]]]);
    const stored = await database.dataSource.getRepository(FaceClusterEntity).findOneByOrFail({ id: adaGroup });
    expect(stored).toMatchObject({ size: 2, dirty: false });
    expect(stored.cohesion).toBeCloseTo(0.1 * Math.SQRT2, 4);

    // Ignored: no longer listed, and a new photo of the poster joins it instead of starting a group.
    expect(await clusters.ignore(posterGroup)).toBe(true);
    const again = await unknownFace(photo(5, 2));
    await job.runOnce({ sweep: false });
    expect((await clusters.find(posterGroup))?.faces.map((face) => face.faceId)).toEqual([...poster, again]);
    expect((await clusters.list(10)).map((group) => group.id)).not.toContain(posterGroup);

    // A face named by a re-match leaves its group at the next sweep; unnamed again, it comes back.
    const grace = await database.dataSource.getRepository(PersonEntity).save({ name: 'grace' });
    await database.dataSource.getRepository(FaceEntity).update({ id: ada[1] }, { personId: grace.id });
    expect(await job.runOnce({ sweep: true })).toMatchObject({ pruned: 1 });
    expect((await clusters.find(adaGroup))?.size).toBe(1);
    await database.dataSource.getRepository(FaceEntity).update({ id: ada[1] }, { personId: null });
    expect(await job.runOnce({ sweep: true })).toMatchObject({ faces: 1, created: 0 });
    expect((await clusters.find(adaGroup))?.faces.map((face) => face.faceId)).toEqual(ada.slice(0, 2));
    expect(await groupOf(ada[2])).not.toBe(adaGroup);
  });

  it('merges two groups of one person once faces between them bring them within the threshold', async () => {
    // Two photos 0.6 apart (farther than the threshold): two groups.
    const left = await unknownFace(photo(7, 0, -0.3));
    const right = await unknownFace(photo(7, 0, 0.3));
    expect(await job.runOnce()).toMatchObject({ created: 2, merged: 0 });
    // Faces in the middle join a group and bring the two within reach of each other.
    const middle = [await unknownFace(photo(7, 0, -0.1)), await unknownFace(photo(7, 0, 0.1)), await unknownFace(photo(7, 0, 0))];
    expect(await job.runOnce({ sweep: false })).toMatchObject({ faces: 3, merged: 1 });
    expect(await groups()).toEqual([[left, right, ...middle].sort((a, b) => a - b)]);
    expect(await database.dataSource.getRepository(FaceClusterEntity).count()).toBe(1);
    expect(await database.dataSource.getRepository(ImageEntity).count()).toBe(5);
  });

  it('regroups once when CLUSTER_THRESHOLD changes', async () => {
    const ada = [await unknownFace(photo(1, 0, -0.3)), await unknownFace(photo(1, 0, 0.3))];
    expect(await job.runOnce()).toMatchObject({ regrouped: true, created: 2 });
    expect(await job.runOnce({ sweep: true })).toMatchObject({ regrouped: false, faces: 0 });
    // 0.6 apart: one group at 0.62.
    const wide = new ClusterJob(
      clustering,
      new LockRepository(database.dataSource),
      processorSettingsFrom(parseConfig({ CLUSTER_THRESHOLD: '0.62' }), 'cluster-test'),
      false,
    );
    expect(await wide.runOnce({ sweep: false })).toMatchObject({ regrouped: true, faces: 2, created: 1 });
    expect(await clustering.clusteringRule()).toBe(clusteringRule(0.62, DEFAULT_DESCRIPTOR_RECIPE));
    expect(await groups()).toEqual([ada]);
    expect(await wide.runOnce({ sweep: true })).toMatchObject({ regrouped: false, faces: 0 });
  });

  it('marks a member unlike the rest of its group as an outlier (kept after a regroup by an ignored group)', async () => {
    // A group made by an earlier, looser rule and ignored (so it survives regrouping): four photos of ada and a
    // face 0.8 from them.
    const ada = [];
    for (const axis of [0, 1, 2, 3]) ada.push(await unknownFace(photo(1, axis, 0.1)));
    const stray = await unknownFace(photo(1, 9, 0.8));
    await clustering.write({
      clusters: [{ id: 1, size: 5, centroid: new Float32Array(DESCRIPTOR_LENGTH), ignored: true, cohesion: null }],
      members: [...ada, stray].map((faceId) => ({ faceId, clusterId: 1 })),
      merged: new Map(),
    });
    await database.dataSource.query('UPDATE face_clusters SET dirty = 1');
    expect(await job.runOnce()).toMatchObject({ regrouped: true, recomputed: 1, faces: 0 });
    const group = await clusters.find(1);
    expect(group).toMatchObject({ size: 5, outlierCount: 1, outlierFaces: [expect.objectContaining({ faceId: stray, outlier: true })] });
    expect(group?.sampleFaces.map((face) => face.faceId)).toEqual(ada);
    expect(group?.cohesion).toBeGreaterThan(0.3);
  });

  it('two replicas running at once place each face once (job lock)', async () => {
    await unknownFace(photo(1, 0));
    const other = new ClusterJob(clustering, new LockRepository(database.dataSource), settings, false);
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
