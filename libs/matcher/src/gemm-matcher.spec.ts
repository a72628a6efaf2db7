import { afterEach, describe, expect, it } from 'vitest';
import { DESCRIPTOR_LENGTH, MatchRule } from '@visage/domain';
import { Gallery, GalleryEntry } from './gallery';
import { GemmMatcher, matchEach, MatchColumns } from './gemm-matcher';
import { normalDeviates, SPREAD } from '../test/random-descriptors';

const RULE: MatchRule = { threshold: 0.55, margin: 0.05 };

function pack(descriptors: readonly Float32Array[]): Float32Array {
  const packed = new Float32Array(descriptors.length * DESCRIPTOR_LENGTH);
  descriptors.forEach((descriptor, index) => packed.set(descriptor, index * DESCRIPTOR_LENGTH));
  return packed;
}

function galleryOf(descriptors: readonly Float32Array[], personOf: (row: number) => number = (row) => row + 1): Gallery {
  return new Gallery(descriptors.map((descriptor, row): GalleryEntry => ({ personId: personOf(row), personName: '', descriptor })));
}

/** A unit vector in a random direction. */
function direction(gauss: () => number): Float32Array {
  const values = Array.from({ length: DESCRIPTOR_LENGTH }, gauss);
  const length = Math.hypot(...values);
  return Float32Array.from(values, (value) => value / length);
}

const along = (base: Float32Array, unit: Float32Array, distance: number) => Float32Array.from(base, (value, index) => value + unit[index] * distance);

const matchers: GemmMatcher[] = [];
async function gemmOf(gallery: Gallery): Promise<GemmMatcher> {
  const matcher = await GemmMatcher.create(gallery);
  matchers.push(matcher);
  return matcher;
}

afterEach(async () => {
  await Promise.all(matchers.splice(0).map((matcher) => matcher.release()));
});

/** The batched answers must be Gallery.match's to the last bit: person, decision, distance. */
async function expectSameAsScalar(
  gallery: Gallery,
  faces: readonly Float32Array[],
  rule = RULE,
): Promise<{ batched: MatchColumns; matcher: GemmMatcher }> {
  const matcher = await gemmOf(gallery);
  const batched = await matcher.matchAll(pack(faces), rule);
  const scalar = matchEach(gallery, pack(faces), rule);
  for (let face = 0; face < faces.length; face++) {
    expect({ face, personId: batched.personIds[face], distance: batched.distances[face], matched: batched.matched[face] }).toEqual({
      face,
      personId: scalar.personIds[face],
      distance: scalar.distances[face],
      matched: scalar.matched[face],
    });
  }
  return { batched, matcher };
}

describe('GemmMatcher', () => {
  it("gives Gallery.match's answers on face-like data, over several runs of a 10,000-row gallery, deciding almost all faces itself", async () => {
    const gauss = normalDeviates(11);
    const centroids = Array.from({ length: 3_000 }, () => Float32Array.from({ length: DESCRIPTOR_LENGTH }, () => gauss() * 0.065 * SPREAD));
    const near = (person: number) => Float32Array.from(centroids[person], (value) => value + gauss() * 0.022 * SPREAD);
    // 10,000 rows of 2,500 persons (some rows not in enrolment order), faces of them and of 500 strangers.
    const rows = Array.from({ length: 10_000 }, (_, row) => near((row * 7) % 2_500));
    const faces = Array.from({ length: 1_000 }, (_, index) => near(index % 2 === 0 ? (index * 13) % 2_500 : 2_500 + (index % 500)));
    const { batched, matcher } = await expectSameAsScalar(
      galleryOf(rows, (row) => ((row * 7) % 2_500) + 1),
      faces,
    );
    expect(batched.matched.reduce((sum, value) => sum + value, 0)).toBeGreaterThan(400);
    expect(matcher.scalarFaces).toBeLessThan(10);
    // Within 1e-5 of the exact distance, computed here in float64 apart from either kernel.
    const nearest = batched.personIds[0];
    const exact = Math.min(
      ...rows
        .filter((_, row) => ((row * 7) % 2_500) + 1 === nearest)
        .map((row) => Math.hypot(...Array.from(row, (value, index) => value - faces[0][index]))),
    );
    expect(Math.abs(batched.distances[0] - exact)).toBeLessThan(1e-5);
    // A margin about the gap between two persons of this data: the second-nearest person decides many faces.
    const wide = await expectSameAsScalar(
      galleryOf(rows, (row) => ((row * 7) % 2_500) + 1),
      faces,
      { threshold: 0.55, margin: 0.6 },
    );
    const unnamedWithin = Array.from(wide.batched.matched).filter((matched, face) => !matched && wide.batched.distances[face] <= 0.55).length;
    expect(unnamedWithin).toBeGreaterThan(0);
    expect(wide.matcher.scalarFaces).toBeLessThan(10);
  });

  it("leaves a face whose kept rows are all one person's to Gallery.match (the second person is beyond them)", async () => {
    const gauss = normalDeviates(31);
    const face = Float32Array.from({ length: DESCRIPTOR_LENGTH }, () => gauss() * 0.065 * SPREAD);
    // Person 1: 12 enrolments near the face (more than the 8 rows kept); person 2 a little farther; others far.
    const rows = [
      ...Array.from({ length: 12 }, () => along(face, direction(gauss), 0.3)),
      along(face, direction(gauss), 0.36),
      ...Array.from({ length: 40 }, () => Float32Array.from({ length: DESCRIPTOR_LENGTH }, () => gauss() * 0.065 * SPREAD)),
    ];
    const personOf = (row: number) => (row < 12 ? 1 : row - 10);
    const { batched, matcher } = await expectSameAsScalar(galleryOf(rows, personOf), [face], { threshold: 0.55, margin: 0.1 });
    expect(matcher.scalarFaces).toBe(1);
    expect(batched.matched[0]).toBe(0);
  });

  it('agrees on near-ties, exact ties, duplicate rows, faces equal to a row, and a gallery whose size is not a multiple of 4', async () => {
    const gauss = normalDeviates(23);
    const rows: Float32Array[] = [];
    const faces: Float32Array[] = [];
    for (let group = 0; group < 40; group++) {
      const face = Float32Array.from({ length: DESCRIPTOR_LENGTH }, () => gauss() * 0.065 * SPREAD);
      face[0] = 0;
      faces.push(face);
      const radius = 0.2 + (group % 8) * 0.05;
      // Two rows farther apart than float32 GEMM can tell: 1e-7 and 1e-9 of the radius.
      rows.push(along(face, direction(gauss), radius * (1 + 1e-7)), along(face, direction(gauss), radius));
      rows.push(along(face, direction(gauss), radius * (1 + 1e-9)));
      // An exact tie: ±radius along the first axis (face[0] is 0), the later row must lose.
      const mirrored = Float32Array.from(face);
      mirrored[0] = -radius;
      const shifted = Float32Array.from(face);
      shifted[0] = radius;
      rows.push(shifted, mirrored);
      // A tie float32 products round apart: the first two values swapped (face[0] = face[1]).
      const swapped = Float32Array.from(face);
      swapped[1] = 0;
      const [a, b] = [radius * 0.6, radius * 0.8];
      const first = Float32Array.from(swapped);
      [first[0], first[1]] = [a, b];
      const second = Float32Array.from(swapped);
      [second[0], second[1]] = [b, a];
      rows.push(first, second);
      faces.push(swapped);
      // Squared distances of 1e-8 and 1.7e-8, far below the GEMM's error: the earlier row is the farther.
      const close = Float32Array.from({ length: DESCRIPTOR_LENGTH }, () => gauss() * 0.065 * SPREAD);
      rows.push(along(close, direction(gauss), 1.3e-4), along(close, direction(gauss), 1e-4));
      faces.push(close);
      // Duplicates: 2 copies, and 10 (more than the 8 rows kept: the scalar path decides).
      const duplicate = along(face, direction(gauss), radius * 0.999);
      for (let copy = 0; copy < (group % 2 === 0 ? 2 : 10); copy++) rows.push(duplicate);
      // The face itself, for every 5th group: distance 0, where ‖g‖² − 2·q·g cancels worst.
      if (group % 5 === 0) rows.push(Float32Array.from(face));
      // Faces a hair away from a row (1e-4: the GEMM error is larger than the squared distance).
      faces.push(along(rows[rows.length - 1], direction(gauss), 1e-4));
    }
    // Strangers' rows far away, then a 3-row tail (rows ≥ size − size mod 4 are summed one value at a time).
    for (let stranger = 0; stranger < 200; stranger++) rows.push(Float32Array.from({ length: DESCRIPTOR_LENGTH }, () => gauss() * 0.065 * SPREAD));
    while (rows.length % 4 !== 3) rows.push(Float32Array.from({ length: DESCRIPTOR_LENGTH }, () => gauss() * 0.065 * SPREAD));
    const tailFace = Float32Array.from({ length: DESCRIPTOR_LENGTH }, () => gauss() * 0.065 * SPREAD);
    tailFace[0] = 0;
    const tailLeft = Float32Array.from(tailFace);
    tailLeft[0] = 0.3;
    const tailRight = Float32Array.from(tailFace);
    tailRight[0] = -0.3;
    rows.push(tailLeft, tailRight, tailLeft);
    faces.push(tailFace);

    // Persons: every row its own, so a wrong row among equals shows as a wrong person.
    const { matcher } = await expectSameAsScalar(galleryOf(rows), faces);
    expect(matcher.scalarFaces).toBeGreaterThan(0);
  });

  it('agrees on tiny and large descriptors and on galleries of fewer rows than it keeps', async () => {
    const gauss = normalDeviates(5);
    for (const scale of [1e-3, 10]) {
      const rows = Array.from({ length: 301 }, () => Float32Array.from({ length: DESCRIPTOR_LENGTH }, () => gauss() * scale));
      const faces = Array.from({ length: 50 }, (_, index) => along(rows[index * 3], direction(gauss), scale * 0.5));
      await expectSameAsScalar(
        galleryOf(rows, (row) => (row % 17) + 1),
        faces,
      );
    }
    for (const size of [1, 2, 3]) {
      const rows = Array.from({ length: size }, () => Float32Array.from({ length: DESCRIPTOR_LENGTH }, () => gauss() * 0.065 * SPREAD));
      await expectSameAsScalar(galleryOf(rows), [rows[0], rows[size - 1], along(rows[0], direction(gauss), 0.3)]);
    }
  });

  it('leaves a face with values that are not finite to Gallery.match', async () => {
    const gauss = normalDeviates(9);
    const rows = Array.from({ length: 20 }, () => Float32Array.from({ length: DESCRIPTOR_LENGTH }, () => gauss() * 0.065 * SPREAD));
    const broken = Float32Array.from(rows[3]);
    broken[7] = NaN;
    const { matcher } = await expectSameAsScalar(galleryOf(rows), [rows[2], broken]);
    expect(matcher.scalarFaces).toBe(1);
  });

  it('refuses a gallery it cannot match (empty, values not finite) and says why ONNX Runtime did not load', async () => {
    await expect(GemmMatcher.create(new Gallery([]))).rejects.toThrow('the gallery is empty');
    const broken = new Float32Array(DESCRIPTOR_LENGTH);
    broken[1] = Infinity;
    await expect(GemmMatcher.create(galleryOf([new Float32Array(DESCRIPTOR_LENGTH), broken]))).rejects.toThrow(
      'gallery row 1 holds a value that is not finite',
    );
    await expect(
      GemmMatcher.create(galleryOf([new Float32Array(DESCRIPTOR_LENGTH)]), () =>
        Promise.reject(new Error('Cannot find module onnxruntime_binding.node')),
      ),
    ).rejects.toThrow('onnxruntime_binding.node');
  });
});
