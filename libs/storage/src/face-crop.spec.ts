import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaceCropCache } from './face-crop';

describe('FaceCropCache', () => {
  const root = mkdtempSync(join(tmpdir(), 'visage-crops-'));
  const crops = new FaceCropCache({ root, maxBytes: 1_000_000, maxPixels: 1_000_000 });
  const box = { x: 10, y: 10, width: 40, height: 40 };

  beforeAll(async () => {
    await sharp({ create: { width: 100, height: 100, channels: 3, background: '#369' } })
      .jpeg()
      .toFile(join(root, 'photo.jpg'));
    // sharp would render this (librsvg): the allowlist of raster formats, by the first bytes, keeps it away.
    writeFileSync(
      join(root, 'vector.jpg'),
      '<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100"><rect width="100" height="100"/></svg>',
    );
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('crops a raster picture', async () => {
    const result = await crops.render('photo.jpg', box);
    expect(result.kind).toBe('image');
  });

  it('refuses an SVG, whatever its name, as undecodable', async () => {
    await expect(crops.render('vector.jpg', box)).resolves.toEqual({ kind: 'undecodable' });
  });
});
