import { describe, expect, it } from 'vitest';
import { DESCRIPTOR_LENGTH, MatchRule } from '@visage/domain';
import { Gallery, GalleryEntry } from './gallery';
import { GalleryChange, GalleryDelta, Identity } from './gallery-delta';
import { normalDeviates, SPREAD } from '../test/random-descriptors';

const RULE: MatchRule = { threshold: 0.55, margin: 0.05 };

interface Enrolment {
  id: number;
  personId: number;
  descriptor: Float32Array;
}

function identityIn(enrolments: readonly Enrolment[], descriptor: Float32Array, rule: MatchRule): Identity {
  const entries: GalleryEntry[] = enrolments.map((row) => ({ personId: row.personId, personName: '', descriptor: row.descriptor }));
  const match = new Gallery(entries).match(descriptor, rule);
  return { personId: match?.matched ? match.personId : null, distance: match?.distance ?? null };
}

describe('GalleryDelta', () => {
  // The configured margin, and a wide one that leaves many faces unnamed for a second person within it.
  it.each([RULE, { threshold: 0.6, margin: 0.2 }])(
    "gives a full match's answer for every face after enrolments are added, removed and replaced (or defers to one): %o",
    (rule: MatchRule) => {
      const gauss = normalDeviates(7);
      const centroids = Array.from({ length: 60 }, () => Float32Array.from({ length: DESCRIPTOR_LENGTH }, () => gauss() * 0.065 * SPREAD));
      const near = (person: number) => Float32Array.from(centroids[person], (value) => value + gauss() * 0.022 * SPREAD);
      let nextId = 1;
      const enrol = (person: number): Enrolment => ({ id: nextId++, personId: person + 1, descriptor: near(person) });

      let gallery = Array.from({ length: 80 }, (_, index) => enrol(index % 40));
      // Faces of enrolled persons, of persons enrolled later (40..49), and strangers (50..59).
      const faces = Array.from({ length: 300 }, (_, index) => near(index % 60));
      let stored = faces.map((descriptor) => ({ descriptor, ...identityIn(gallery, descriptor, rule) }));

      let deferred = 0;
      const rounds: Array<(current: Enrolment[]) => { next: Enrolment[]; changes: GalleryChange[] }> = [
        // One person enrolled (the commonest change).
        (current) => {
          const added = [enrol(40), enrol(40)];
          return {
            next: [...current, ...added],
            changes: added.map((row) => ({ personImageId: row.id, personId: row.personId, removed: false, descriptor: row.descriptor })),
          };
        },
        // One person deleted: every enrolment of person 3.
        (current) => {
          const removed = current.filter((row) => row.personId === 4);
          return {
            next: current.filter((row) => row.personId !== 4),
            changes: removed.map((row) => ({ personImageId: row.id, personId: row.personId, removed: true, descriptor: row.descriptor })),
          };
        },
        // A mix, including an enrolment added and removed again in between (must cancel out).
        (current) => {
          const added = [enrol(41), enrol(42), enrol(5)];
          const transient = enrol(43);
          const replaced = current[0];
          const next = [...current.slice(1), ...added];
          return {
            next,
            changes: [
              { personImageId: transient.id, personId: transient.personId, removed: false, descriptor: transient.descriptor },
              { personImageId: replaced.id, personId: replaced.personId, removed: true, descriptor: replaced.descriptor },
              ...added.map((row) => ({ personImageId: row.id, personId: row.personId, removed: false, descriptor: row.descriptor })),
              { personImageId: transient.id, personId: transient.personId, removed: true, descriptor: transient.descriptor },
            ],
          };
        },
      ];
      for (const round of rounds) {
        const { next, changes } = round(gallery);
        const delta = new GalleryDelta(changes);
        const updated = stored.map((face) => {
          const expected = identityIn(next, face.descriptor, rule);
          const fromDelta = delta.rematch(face, rule);
          if (fromDelta === undefined) {
            deferred += 1;
            return { descriptor: face.descriptor, ...expected };
          }
          expect(fromDelta.personId).toBe(expected.personId);
          expect(fromDelta.distance).toBeCloseTo(expected.distance as number, 5);
          return { descriptor: face.descriptor, ...fromDelta };
        });
        stored = updated;
        gallery = next;
      }
      // The delta decides most faces by itself; only those whose nearest enrolment went away need the gallery.
      expect(deferred).toBeGreaterThan(0);
      expect(deferred).toBeLessThan(stored.length / 4);
    },
  );

  it('an empty old gallery (distance null) takes the nearest added enrolment', () => {
    const descriptor = new Float32Array(DESCRIPTOR_LENGTH);
    const close = Float32Array.from(descriptor, (_, index) => (index === 0 ? 0.3 : 0));
    const delta = new GalleryDelta([{ personImageId: 1, personId: 9, removed: false, descriptor: close }]);
    expect(delta.rematch({ personId: null, distance: null, descriptor }, RULE)).toEqual({ personId: 9, distance: expect.closeTo(0.3, 6) });
    expect(delta.size).toBe(1);
  });

  it('defers a tie to a full match (ties go to the earliest enrolment, which only the whole gallery knows)', () => {
    const descriptor = new Float32Array(DESCRIPTOR_LENGTH);
    const atDistance = Float32Array.from(descriptor, (_, index) => (index === 0 ? 0.25 : 0));
    const delta = new GalleryDelta([{ personImageId: 5, personId: 2, removed: false, descriptor: atDistance }]);
    expect(delta.rematch({ personId: 1, distance: 0.25, descriptor }, RULE)).toBeUndefined();
  });

  it('an enrolment moved to another person (a merge) is not netted away: its faces go to a full match', () => {
    const descriptor = new Float32Array(DESCRIPTOR_LENGTH);
    const enrolment = Float32Array.from(descriptor, (_, index) => (index === 0 ? 0.2 : 0));
    const moved = new GalleryDelta([
      { personImageId: 7, personId: 1, removed: true, descriptor: enrolment },
      { personImageId: 7, personId: 2, removed: false, descriptor: enrolment },
    ]);
    expect(moved.size).toBe(2);
    // Named after person 1 by that enrolment: only the whole gallery can tell it is person 2's now.
    expect(moved.rematch({ personId: 1, distance: 0.2, descriptor }, RULE)).toBeUndefined();
    const readded = new GalleryDelta([
      { personImageId: 7, personId: 1, removed: false, descriptor: enrolment },
      { personImageId: 7, personId: 1, removed: true, descriptor: enrolment },
    ]);
    expect(readded.size).toBe(0);
  });
});
