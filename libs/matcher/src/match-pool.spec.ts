import { Logger } from '@nestjs/common';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DESCRIPTOR_LENGTH, MatchRule } from '@visage/domain';
import { Gallery, GalleryEntry, VersionedGallery } from './gallery';
import { Identity } from './gallery-delta';
import { MatchPool } from './match-pool';
import { normalDeviates, SPREAD } from '../test/random-descriptors';

const RULE: MatchRule = { threshold: 0.55, margin: 0.05 };

function facesAndGallery(seed: number, rows: number): { entries: GalleryEntry[]; gallery: Gallery; faces: Float32Array[] } {
  const gauss = normalDeviates(seed);
  const centroids = Array.from({ length: rows }, () => Float32Array.from({ length: DESCRIPTOR_LENGTH }, () => gauss() * 0.065 * SPREAD));
  const near = (centroid: Float32Array) => Float32Array.from(centroid, (value) => value + gauss() * 0.022 * SPREAD);
  const entries = centroids.map((centroid, row) => ({ personId: (row % 300) + 1, personName: '', descriptor: near(centroid) }));
  const faces = Array.from({ length: 400 }, (_, index) =>
    index % 2 === 0 ? near(centroids[index % rows]) : Float32Array.from({ length: DESCRIPTOR_LENGTH }, () => gauss() * 0.065 * SPREAD),
  );
  return { entries, gallery: new Gallery(entries), faces };
}

function expected(gallery: VersionedGallery, faces: readonly Float32Array[]): Identity[] {
  return faces.map((face) => {
    const match = gallery.match(face);
    return { personId: match?.matched ? match.personId : null, distance: match?.distance ?? null };
  });
}

let pool: MatchPool | undefined;
afterEach(async () => {
  await pool?.close();
  vi.restoreAllMocks();
});

describe('MatchPool', () => {
  it('matches on two workers with the batched kernel, as the main thread would, and follows a new gallery version', async () => {
    const log = vi.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    pool = new MatchPool(2);
    const first = facesAndGallery(3, 1_000);
    const version1 = new VersionedGallery(1, first.gallery, RULE);
    const identities = await pool.matchAll(version1, first.faces);
    expect(identities).toEqual(expected(version1, first.faces));
    expect(identities.filter((identity) => identity.personId !== null).length).toBeGreaterThan(150);
    expect(log).toHaveBeenCalledWith('whole-gallery matches run as a batched GEMM on ONNX Runtime');

    const second = facesAndGallery(4, 777);
    const version2 = new VersionedGallery(2, second.gallery, RULE);
    expect(await pool.matchAll(version2, first.faces)).toEqual(expected(version2, first.faces));
  });

  it('falls back to the scalar kernel in the workers, and says why, when the batched one cannot take the gallery', async () => {
    const warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    pool = new MatchPool(2);
    const { entries, faces } = facesAndGallery(5, 300);
    const broken = { personId: 999, personName: '', descriptor: new Float32Array(DESCRIPTOR_LENGTH).fill(Infinity) };
    const withBroken = new VersionedGallery(7, new Gallery([broken, ...entries]), RULE);
    expect(await pool.matchAll(withBroken, faces)).toEqual(expected(withBroken, faces));
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn).toHaveBeenCalledWith('whole-gallery matches use the scalar kernel: gallery row 0 holds a value that is not finite');
  });
});
