import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import sharp from 'sharp';

/**
 * Test images every clone has: the public-domain/CC0 files committed in `test/fixtures/` (sources and licences in its
 * README) and the variants tests need, made from them at test time with sharp. The labelled set (`./faces.ts`) is
 * only for accuracy tests and benchmarks.
 */
export const FIXTURES_DIR = resolve(__dirname, '../fixtures');

/** Committed files. astronaut and camera show two different people (descriptor distance ~0.87). */
export type CommittedFixture = 'astronaut.png' | 'camera.png' | 'coffee.png' | 'rocket.jpg';

const committed = (name: CommittedFixture) => sharp(join(FIXTURES_DIR, name));

/** A JPEG of the astronaut, the source of the truncated variants. */
const astronautJpeg = () => committed('astronaut.png').jpeg({ quality: 90 }).toBuffer();

/** Offset of a JPEG's first start-of-scan marker: everything before it is headers, after it pixel data. */
function startOfScan(jpeg: Buffer): number {
  for (let offset = 2; offset < jpeg.length - 1; offset++) {
    if (jpeg[offset] === 0xff && jpeg[offset + 1] === 0xda) return offset;
  }
  throw new Error('no start-of-scan marker in the JPEG');
}

const VARIANTS = {
  /** The astronaut mirrored, cropped to her head and shoulders, scaled down and re-encoded: one face, the same person
   * as astronaut.png (distance ~0.21). */
  'astronaut_flipped.jpg': () =>
    committed('astronaut.png').flop().extract({ left: 140, top: 0, width: 372, height: 300 }).resize(300).jpeg({ quality: 85 }).toBuffer(),
  /** The camera man scaled down and re-encoded: the same person as camera.png. */
  'camera_rescaled.jpg': () => committed('camera.png').resize(400).jpeg({ quality: 90 }).toBuffer(),
  /** The astronaut and the camera man side by side, 100 px apart (1124x512): two faces, each near its own photo's
   * descriptor (~0.1 and ~0.33; the camera man's near-profile face shifts more when the two touch). */
  'two_people.jpg': async () =>
    sharp({ create: { width: 1124, height: 512, channels: 3, background: '#808080' } })
      .composite([
        { input: await committed('astronaut.png').toBuffer(), left: 0, top: 0 },
        { input: await committed('camera.png').toColourspace('srgb').toBuffer(), left: 612, top: 0 },
      ])
      .jpeg({ quality: 90 })
      .toBuffer(),
  /** The astronaut and her mirror image side by side (1024x512): two frontal faces. */
  'astronaut_pair.jpg': async () =>
    committed('astronaut.png')
      .extend({ right: 512, background: '#808080' })
      .composite([{ input: await committed('astronaut.png').flop().toBuffer(), left: 512, top: 0 }])
      .jpeg({ quality: 90 })
      .toBuffer(),
  /** Upright 512x384; stored rotated a quarter turn with EXIF Orientation 6 (384x512 on disk). */
  'exif_rotated.jpg': async () => {
    const upright = await committed('astronaut.png').extract({ left: 0, top: 0, width: 512, height: 384 }).toBuffer();
    return sharp(upright).rotate(270).withMetadata({ orientation: 6 }).jpeg({ quality: 90 }).toBuffer();
  },
  /** 1500x1500 (2.25 MP): "too large" for a recognizer limited to fewer pixels. */
  'large.jpg': () => committed('astronaut.png').resize(1500).jpeg({ quality: 80 }).toBuffer(),
  /** JPEG headers only, cut before the first scan: no pixel data at all. */
  'truncated_header.jpg': async () => {
    const jpeg = await astronautJpeg();
    return jpeg.subarray(0, startOfScan(jpeg));
  },
  /** A JPEG cut in the middle of its pixel data. */
  'truncated_half.jpg': async () => {
    const jpeg = await astronautJpeg();
    return jpeg.subarray(0, Math.floor(jpeg.length / 2));
  },
  'one_pixel.png': () =>
    sharp({ create: { width: 1, height: 1, channels: 3, background: '#000' } })
      .png()
      .toBuffer(),
  'empty.jpg': async () => Buffer.alloc(0),
  'not_an_image.jpg': async () => Buffer.from('plain text behind a .jpg extension\n'),
} satisfies Record<string, () => Promise<Buffer>>;

export type FixtureVariant = keyof typeof VARIANTS;
export type Fixture = CommittedFixture | FixtureVariant;

const rendered = new Map<Fixture, Promise<Buffer>>();

function isVariant(name: Fixture): name is FixtureVariant {
  return name in VARIANTS;
}

/** The bytes of a committed file or of a variant (made once per process). */
export function fixtureBytes(name: Fixture): Promise<Buffer> {
  let bytes = rendered.get(name);
  if (!bytes) {
    bytes = isVariant(name) ? VARIANTS[name]() : Promise.resolve(readFileSync(join(FIXTURES_DIR, name)));
    rendered.set(name, bytes);
  }
  return bytes;
}

/** Writes a fixture to `destination`, creating its directory. */
export async function writeFixture(name: Fixture, destination: string): Promise<void> {
  const bytes = await fixtureBytes(name);
  mkdirSync(dirname(destination), { recursive: true });
  writeFileSync(destination, bytes);
}

export interface FixtureDir {
  root: string;
  remove(): void;
}

/** A temporary directory laid out as `{ relative path: fixture }`, e.g. an IMAGES_ROOT for the recognizer. */
export async function createFixtureDir(layout: Record<string, Fixture>, prefix = 'visage-fixtures-'): Promise<FixtureDir> {
  const root = mkdtempSync(join(tmpdir(), prefix));
  for (const [target, name] of Object.entries(layout)) await writeFixture(name, join(root, target));
  return { root, remove: () => rmSync(root, { recursive: true, force: true }) };
}
