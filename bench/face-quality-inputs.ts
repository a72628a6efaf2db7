import { join } from 'node:path';
import sharp from 'sharp';
import { FaceQualityInputs } from '@visage/domain';
import { faceQualityInputs } from '../apps/face-recognition/src/engine/face-quality';
import { DumpPhoto, FaceDump } from './identity/face-dump';

/**
 * Each face's quality inputs for a dump's photos, measured as the recognizer measures them (the same function,
 * on the photo's upright pixels; the dump's boxes and landmarks are in those pixels). Reads the photos under the
 * dump's root: labelled sets are read at bench time only. Photos that cannot be read get no inputs.
 */
export async function qualityOfDump(dump: FaceDump): Promise<Map<DumpPhoto, FaceQualityInputs[]>> {
  const result = new Map<DumpPhoto, FaceQualityInputs[]>();
  for (const photo of dump.photos) {
    if (photo.faces.length === 0) continue;
    try {
      const { data, info } = await sharp(join(dump.root, photo.file))
        .rotate()
        .removeAlpha()
        .toColourspace('srgb')
        .raw()
        .toBuffer({ resolveWithObject: true });
      const image = { pixels: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
      result.set(
        photo,
        photo.faces.map((face) => faceQualityInputs(image, face.box, face.landmarks, face.score, 1)),
      );
    } catch {
      // An unreadable photo (the labelled bad files): no inputs, judged as the recognizer would never see it.
    }
  }
  return result;
}
