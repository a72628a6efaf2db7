import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { FACES_DIR, facesAvailable } from '../../../../test/support/faces';

/**
 * CC0 / public-domain photos that may be committed (README there): the committed copy under test/fixtures when the
 * repository has one, else the shared folder beside the checkout. VISAGE_FREE_FACES_DIR overrides.
 */
const FREE_FACES_CANDIDATES = [
  process.env.VISAGE_FREE_FACES_DIR,
  resolve(__dirname, '../../../../test/fixtures/faces-free'),
  resolve(__dirname, '../../../../../shared/faces-free'),
].filter((dir): dir is string => !!dir);

export function freeFacesDir(): string | undefined {
  return FREE_FACES_CANDIDATES.find((dir) => existsSync(join(dir, 'README.md')));
}

const IMAGE = /\.(jpe?g|png|webp|gif|tiff?|avif)$/i;

/** Absolute paths of the free images, or [] (with one line saying why) when none is reachable. */
export function freeFaceImages(): string[] {
  const dir = freeFacesDir();
  if (!dir) {
    console.log(`free face images absent (looked in ${FREE_FACES_CANDIDATES.join(', ')}): equivalence on them skipped`);
    return [];
  }
  return readdirSync(dir).filter((file) => IMAGE.test(file)).sort().map((file) => join(dir, file));
}

/** Every image of the labelled set that decodes (bad/ holds refusals by design; its decodable oddities are kept). */
export function labelledImages(): string[] {
  if (!facesAvailable()) {
    console.log(`labelled face set absent (${FACES_DIR}): equivalence on it skipped`);
    return [];
  }
  const images: string[] = [];
  for (const folder of ['known', 'unknown', 'groups', 'strangers', 'nonfaces']) {
    for (const file of readdirSync(join(FACES_DIR, folder)).filter((name) => IMAGE.test(name)).sort()) images.push(join(FACES_DIR, folder, file));
  }
  for (const file of ['cmyk.jpg', 'exif_rotated.jpg', 'grayscale.jpg', 'png_named.jpg', 'rgba_32bit.png']) images.push(join(FACES_DIR, 'bad', file));
  return images.filter((path) => existsSync(path));
}
