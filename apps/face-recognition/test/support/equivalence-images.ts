import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { FACES_DIR, facesAvailable } from '../../../../test/support/faces';
import { FIXTURES_DIR } from '../../../../test/support/fixtures';

/** The shared CC0 / public-domain folder beside the checkout; the committed fixtures are copies of some of its files. */
const FREE_FACES_DIR = process.env.VISAGE_FREE_FACES_DIR ?? resolve(__dirname, '../../../../../shared/faces-free');

const IMAGE = /\.(jpe?g|png|webp|gif|tiff?|avif)$/i;

function imagesIn(dir: string): string[] {
  return readdirSync(dir)
    .filter((file) => IMAGE.test(file))
    .sort()
    .map((file) => join(dir, file));
}

/** The committed fixtures (every clone has them), plus the shared free images they do not copy, when present. */
export function freeFaceImages(): string[] {
  const committed = imagesIn(FIXTURES_DIR);
  if (!existsSync(FREE_FACES_DIR)) {
    console.log(`${FREE_FACES_DIR} absent: equivalence runs on the ${committed.length} committed fixtures only`);
    return committed;
  }
  const names = new Set(committed.map((path) => path.slice(path.lastIndexOf('/') + 1)));
  return [...committed, ...imagesIn(FREE_FACES_DIR).filter((path) => !names.has(path.slice(path.lastIndexOf('/') + 1)))];
}

/** Every image of the labelled set that decodes (bad/ holds refusals by design; its decodable oddities are kept). */
export function labelledImages(): string[] {
  if (!facesAvailable()) {
    console.log(`labelled face set absent (${FACES_DIR}): equivalence on it skipped`);
    return [];
  }
  const images: string[] = [];
  for (const folder of ['known', 'unknown', 'groups', 'strangers', 'nonfaces']) images.push(...imagesIn(join(FACES_DIR, folder)));
  for (const file of ['cmyk.jpg', 'exif_rotated.jpg', 'grayscale.jpg', 'png_named.jpg', 'rgba_32bit.png']) images.push(join(FACES_DIR, 'bad', file));
  return images.filter((path) => existsSync(path));
}
