/**
 * `npm run bench:recipes [-- <dir> [photos]]`: CPU per face of each descriptor recipe (FACE_DESCRIPTOR_RECIPE) in the
 * ONNX Runtime engine, one thread: the same faces (SSD detections of the first `photos` photos of a
 * `<Person>/<photo>` folder, default ../shared/faces-lfw and 150) through the landmark net and the descriptor net
 * with each recipe, twice in turn; detection and decoding are left out (the same for every recipe).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DESCRIPTOR_RECIPES } from '@visage/domain';
import { decodeImage } from '../apps/face-recognition/src/engine/image-decoder';
import { OnnxFaceEngine } from '../apps/face-recognition/src/engine/onnx/onnx-face-engine';
import { RgbImage } from '../apps/face-recognition/src/engine/pixels';
import { listPhotos } from './identity/face-dump';
import { machineLine } from './machine';

async function main(): Promise<void> {
  const args = process.argv.slice(2).filter((arg) => arg !== '--');
  const root = args[0] ?? '../shared/faces-lfw';
  const count = Number(args[1] ?? 150);
  console.log(machineLine());
  const images: RgbImage[] = [];
  for (const photo of listPhotos(root).slice(0, count)) {
    const decoded = await decodeImage(readFileSync(join(root, photo.file)), { maxPixels: 40_000_000 });
    images.push({ pixels: decoded.pixels, width: decoded.workingWidth, height: decoded.workingHeight });
  }
  for (const recipe of [...DESCRIPTOR_RECIPES, ...DESCRIPTOR_RECIPES]) {
    const engine = await OnnxFaceEngine.create({ minScore: 0.5, threads: 1, recipe });
    try {
      const boxes = [];
      for (const image of images) boxes.push(await engine.detect(image));
      let faces = 0;
      const started = process.cpuUsage();
      for (const [index, image] of images.entries()) {
        faces += boxes[index].length;
        await engine.describe(image, boxes[index], false);
      }
      const used = process.cpuUsage(started);
      console.log(
        `${recipe}: ${faces} faces of ${images.length} photos, landmarks + descriptors ${((used.user + used.system) / 1000 / faces).toFixed(1)} CPU ms per face`,
      );
    } finally {
      await engine.dispose();
    }
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
