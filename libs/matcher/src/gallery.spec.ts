import { describe, expect, it } from 'vitest';
import { DESCRIPTOR_LENGTH, MatchRule } from '@visage/domain';
import { Gallery, GalleryEntry } from './gallery';
import { GallerySource } from './gallery-source';
import { GalleryService, NO_GALLERY_VERSION } from './gallery.service';
import { sleep, until } from '../../../test/support/until';

/** Deterministic pseudo-random unit-ish vectors (no Math.random: failures must reproduce). */
function vector(seed: number, scale = 0.25): Float32Array {
  const out = new Float32Array(DESCRIPTOR_LENGTH);
  let state = seed * 2654435761;
  for (let i = 0; i < DESCRIPTOR_LENGTH; i++) {
    state = (state * 1103515245 + 12345) % 2147483648;
    out[i] = (state / 2147483648 - 0.5) * scale;
  }
  return out;
}

function shifted(base: Float32Array, distance: number): Float32Array {
  // Move along the first axis only, so the euclidean distance is exactly `distance`.
  const out = Float32Array.from(base);
  out[0] += distance;
  return out;
}

function euclidean(a: Float32Array, b: Float32Array): number {
  return Math.sqrt(a.reduce((sum, value, i) => sum + (value - b[i]) ** 2, 0));
}

/** The threshold alone (no margin): the rule before MATCH_MARGIN. */
const within = (threshold: number): MatchRule => ({ threshold, margin: 0 });

const alice: GalleryEntry = { personId: 1, personName: 'alice', descriptor: vector(1) };
const bob: GalleryEntry = { personId: 2, personName: 'bob', descriptor: vector(2) };

describe('Gallery', () => {
  it('names the nearest person within the threshold and reports the distance', () => {
    const gallery = new Gallery([alice, bob]);
    const probe = shifted(bob.descriptor, 0.3);
    const match = gallery.match(probe, within(0.6));
    expect(match).toMatchObject({ personId: 2, personName: 'bob', matched: true });
    expect(match?.distance).toBeCloseTo(0.3, 5);
  });

  it('calls a stranger unknown but still reports who was nearest and how far', () => {
    const gallery = new Gallery([alice, bob]);
    const stranger = shifted(alice.descriptor, 0.75);
    const match = gallery.match(stranger, within(0.6));
    expect(match).toMatchObject({ personId: 1, matched: false });
    expect(match?.distance).toBeCloseTo(0.75, 5);
  });

  it('treats the threshold as inclusive', () => {
    const gallery = new Gallery([alice]);
    const probe = shifted(alice.descriptor, 0.5);
    const distance = euclidean(probe, alice.descriptor);
    expect(gallery.match(probe, within(distance))?.matched).toBe(true);
    expect(gallery.match(probe, within(distance - 1e-4))?.matched).toBe(false);
  });

  it('breaks ties by enrolment order', () => {
    const base = vector(7);
    base[0] = 0; // so base ± 0.25 are exactly equidistant in float32
    const left = { personId: 5, personName: 'left', descriptor: shifted(base, -0.25) };
    const right = { personId: 3, personName: 'right', descriptor: shifted(base, 0.25) };
    expect(new Gallery([left, right]).match(base, within(0.6))?.personName).toBe('left');
    expect(new Gallery([right, left]).match(base, within(0.6))?.personName).toBe('right');
  });

  it('returns undefined for an empty gallery', () => {
    expect(new Gallery([]).match(vector(3), within(0.6))).toBeUndefined();
  });

  it('finds the exact nearest among many (pruning never skips the best row)', () => {
    const entries = Array.from({ length: 2_000 }, (_, i) => ({ personId: i + 1, personName: `p${i}`, descriptor: vector(i + 100, 1) }));
    const gallery = new Gallery(entries);
    for (const probeSeed of [11, 22, 33]) {
      const probe = vector(probeSeed, 1);
      const distances = entries.map((entry) => euclidean(probe, entry.descriptor));
      const best = distances.indexOf(Math.min(...distances));
      const match = gallery.match(probe, within(10));
      expect(match?.personId).toBe(best + 1);
      expect(match?.distance).toBeCloseTo(distances[best], 4);
    }
  });

  it('skips the persons rejected for a face: the nearest of the others, undefined when no one else is left', () => {
    const probe = shifted(alice.descriptor, 0.1);
    const twin = { personId: 3, personName: 'alice-twin', descriptor: shifted(alice.descriptor, 0.3) };
    const gallery = new Gallery([alice, bob, twin]);
    expect(gallery.match(probe, within(0.6))?.personName).toBe('alice');
    expect(gallery.match(probe, within(0.6), new Set([1]))).toMatchObject({ personName: 'alice-twin', matched: true });
    expect(gallery.match(probe, within(0.6), new Set([1]))?.distance).toBeCloseTo(euclidean(probe, twin.descriptor), 5);
    expect(gallery.match(probe, within(0.6), new Set([1, 3]))).toMatchObject({ personName: 'bob', matched: false });
    expect(new Gallery([alice]).match(probe, within(0.6), new Set([1]))).toBeUndefined();
  });

  it('names the nearest person only when every other person is at least MATCH_MARGIN farther', () => {
    const probe = vector(40);
    const nearer = { personId: 1, personName: 'nearer', descriptor: shifted(probe, 0.3) };
    const other = { personId: 2, personName: 'other', descriptor: shifted(probe, -0.38) };
    const gallery = new Gallery([nearer, other]);
    const match = gallery.match(probe, { threshold: 0.6, margin: 0.1 });
    // 0.3 is within the threshold, but the other person is only 0.08 farther: a stranger near two people.
    expect(match).toMatchObject({ personName: 'nearer', matched: false });
    expect(match?.secondDistance).toBeCloseTo(0.38, 5);
    expect(gallery.match(probe, { threshold: 0.6, margin: 0.05 })?.matched).toBe(true);
    // Alone in the gallery, nobody is within the margin.
    expect(new Gallery([nearer]).match(probe, { threshold: 0.6, margin: 0.5 })).toMatchObject({ matched: true, secondDistance: Infinity });
  });

  it("takes a person's nearest enrolment as their distance; their other enrolments never count as a second person", () => {
    const probe = vector(41);
    const enrolments = [0.45, 0.3, 0.33].map((distance, index) => ({
      personId: 7,
      personName: 'carol',
      descriptor: shifted(probe, index === 1 ? distance : -distance),
    }));
    const stranger = { personId: 8, personName: 'dave', descriptor: shifted(probe, 0.7) };
    for (const gallery of [new Gallery([...enrolments, stranger]), new Gallery([stranger, ...enrolments])]) {
      const match = gallery.match(probe, { threshold: 0.55, margin: 0.1 });
      expect(match).toMatchObject({ personName: 'carol', matched: true });
      expect(match?.distance).toBeCloseTo(0.3, 5);
      expect(match?.secondDistance).toBeCloseTo(0.7, 5);
    }
  });

  it('finds the nearest two persons among many, with the pruning, without and with persons excluded', () => {
    const entries = Array.from({ length: 1_001 }, (_, i) => ({ personId: (i % 300) + 1, personName: `p${i % 300}`, descriptor: vector(i + 500, 1) }));
    const gallery = new Gallery(entries);
    for (const probeSeed of [12, 23, 34]) {
      const probe = vector(probeSeed, 1);
      for (const excluded of [new Set<number>(), new Set([1, 2, 3])]) {
        const perPerson = new Map<number, number>();
        for (const entry of entries) {
          if (excluded.has(entry.personId)) continue;
          perPerson.set(entry.personId, Math.min(perPerson.get(entry.personId) ?? Infinity, euclidean(probe, entry.descriptor)));
        }
        const sorted = [...perPerson.entries()].sort((a, b) => a[1] - b[1]);
        const match = gallery.match(probe, within(10), excluded);
        expect(match?.personId).toBe(sorted[0][0]);
        expect(match?.distance).toBeCloseTo(sorted[0][1], 4);
        expect(match?.secondDistance).toBeCloseTo(sorted[1][1], 4);
      }
    }
  });

  it('refuses descriptors of the wrong length', () => {
    expect(() => new Gallery([{ ...alice, descriptor: new Float32Array(5) }])).toThrow(RangeError);
    expect(() => new Gallery([alice]).match(new Float32Array(5), within(0.6))).toThrow(RangeError);
  });
});

class FakeSource implements GallerySource {
  entries: GalleryEntry[] = [];
  revision = 0;
  loads = 0;
  async version(): Promise<number> {
    return this.revision;
  }
  async loadGallery(): Promise<{ version: number; entries: GalleryEntry[] }> {
    this.loads += 1;
    return { version: this.revision, entries: [...this.entries] };
  }
}

describe('GalleryService', () => {
  it('reloads only when the version moves, and at most every refreshMs', async () => {
    const source = new FakeSource();
    source.entries = [alice];
    const service = new GalleryService(source, { rule: within(0.6), refreshMs: 60_000 });
    await service.refresh();
    expect(service.size).toBe(1);
    expect(service.match(bob.descriptor)?.matched).toBe(false);

    // Unchanged fingerprint: no reload.
    expect(await service.refresh()).toBe(false);
    expect(source.loads).toBe(1);

    // An enrolment elsewhere: not seen before refreshMs has passed …
    source.entries = [alice, bob];
    source.revision += 1;
    expect(await service.ensureFresh()).toBe(false);
    expect(service.match(bob.descriptor)?.matched).toBe(false);
    // … and picked up once it has (maxAgeMs 0 stands for "the interval elapsed").
    expect(await service.ensureFresh(0)).toBe(true);
    expect(service.match(bob.descriptor)).toMatchObject({ personName: 'bob', matched: true });
    expect(source.loads).toBe(2);
  });

  it('loads the gallery when the module starts and stops its timer when it stops', async () => {
    const source = new FakeSource();
    source.entries = [alice, bob];
    const service = new GalleryService(source, { rule: within(0.6), refreshMs: 10 });
    await service.onModuleInit();
    expect(service.size).toBe(2);
    source.entries = [bob];
    source.revision += 1;
    await until(() => service.size === 1, 'the periodic refresh to drop the removed entry');
    service.onModuleDestroy();
  });

  it('exposes the loaded version, and current() keeps its gallery for the caller when a reload swaps in a newer one', async () => {
    const source = new FakeSource();
    source.entries = [alice];
    source.revision = 4;
    const service = new GalleryService(source, { rule: within(0.6), refreshMs: 60_000 });
    expect(service.version).toBe(NO_GALLERY_VERSION);
    await service.refresh();
    expect(service.version).toBe(4);
    const before = service.current();
    source.entries = [alice, bob];
    source.revision = 5;
    await service.refresh();
    expect([before.version, service.current().version]).toEqual([4, 5]);
    expect(before.match(bob.descriptor)?.matched).toBe(false);
    expect(service.current().match(bob.descriptor)).toMatchObject({ personName: 'bob', matched: true });
  });

  it('awaitVersion resolves once the gallery holds the version, and rejects when it never comes', async () => {
    const source = new FakeSource();
    source.revision = 1;
    const service = new GalleryService(source, { rule: within(0.6), refreshMs: 60_000 });
    const waiting = service.awaitVersion(3, { pollMs: 5, timeoutMs: 5_000 });
    source.revision = 2;
    source.entries = [alice];
    await sleep(20);
    source.revision = 3;
    source.entries = [alice, bob];
    await waiting;
    expect(service.version).toBe(3);
    expect(service.size).toBe(2);
    await expect(service.awaitVersion(9, { pollMs: 5, timeoutMs: 30 })).rejects.toThrow(/version 9 not reached \(holding 3\)/);
  });
});
