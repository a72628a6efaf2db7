/**
 * Test-time and enrolment-side augmentation (issue #22 §3): every face of a face dump described from dlib's face
 * chip (engine/face-chip.ts, the 68-point template) under small geometric jitters — the kinds dlib trained the net
 * with (`jitter_image`: ±3° rotation, ±2 % shift, up to 3 % scale, mirror) — each kept apart, so that
 * `bench:open-set` can average any subset (test-time augmentation) or keep them as extra enrolments.
 *
 *   npm run bench:variants -- <dump.json> <out.json>
 *
 * Writes a face dump (face-dump.ts) whose `descriptor` is the chip + flip descriptor (the recipe the
 * descriptor-model work adopts) and whose `variants` holds one descriptor per `JITTERS` × {as is, mirrored},
 * in that order. Prints the CPU time per variant (one ORT thread, batched per face as production would).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeImage } from '../apps/face-recognition/src/engine/image-decoder';
import { DESCRIPTOR_INPUT_SIZE } from '../apps/face-recognition/src/engine/onnx/face-api-graphs';
import { FACE_NORMALISATION } from '../apps/face-recognition/src/engine/onnx/onnx-face-engine';
import { writePlanarChip } from '../apps/face-recognition/src/engine/onnx/planar-input';
import { ChipDetails, DLIB_CHIP_PADDING, extractFaceChip, faceChipDetails } from '../apps/face-recognition/src/engine/face-chip';
import { FaceDump, readDump, writeDump } from './identity/face-dump';
import { faceApiDescriptorNet } from './face-api-descriptor-net';
import { machineLine } from './machine';

/** A jitter of the chip: rotation (degrees), shift (share of the chip's side, chip axes), scale (> 1 zooms out). */
export interface Jitter {
  name: string;
  rotate: number;
  shiftX: number;
  shiftY: number;
  scale: number;
}

export const JITTERS: Jitter[] = [
  { name: 'as is', rotate: 0, shiftX: 0, shiftY: 0, scale: 1 },
  { name: 'rotate +3°', rotate: 3, shiftX: 0, shiftY: 0, scale: 1 },
  { name: 'rotate −3°', rotate: -3, shiftX: 0, shiftY: 0, scale: 1 },
  { name: 'shift +2 % x', rotate: 0, shiftX: 0.02, shiftY: 0, scale: 1 },
  { name: 'shift −2 % x', rotate: 0, shiftX: -0.02, shiftY: 0, scale: 1 },
  { name: 'shift +2 % y', rotate: 0, shiftX: 0, shiftY: 0.02, scale: 1 },
  { name: 'shift −2 % y', rotate: 0, shiftX: 0, shiftY: -0.02, scale: 1 },
  { name: 'zoom out 3 %', rotate: 0, shiftX: 0, shiftY: 0, scale: 1.03 },
  { name: 'zoom in 3 %', rotate: 0, shiftX: 0, shiftY: 0, scale: 0.97 },
];

/** The chip moved by a jitter, in the chip's own frame (so a shift follows the face's rotation). */
export function jittered(details: ChipDetails, jitter: Jitter): ChipDetails {
  const side = details.size * details.scale;
  const cos = Math.cos(details.angle);
  const sin = Math.sin(details.angle);
  const dx = jitter.shiftX * side;
  const dy = jitter.shiftY * side;
  return {
    size: details.size,
    centre: { x: details.centre.x + cos * dx - sin * dy, y: details.centre.y + sin * dx + cos * dy },
    scale: details.scale * jitter.scale,
    angle: details.angle + (jitter.rotate * Math.PI) / 180,
  };
}

async function main(): Promise<void> {
  const [input, output] = process.argv.slice(2).filter((argument) => argument !== '--');
  if (!input || !output) throw new Error('usage: npm run bench:variants -- <dump.json> <out.json>');
  const dump: FaceDump = readDump(input);
  const net = await faceApiDescriptorNet();
  const plane = 3 * DESCRIPTOR_INPUT_SIZE * DESCRIPTOR_INPUT_SIZE;
  const count = JITTERS.length * 2;
  console.log(machineLine());
  let faces = 0;
  let cpuMs = 0;
  for (const [index, photo] of dump.photos.entries()) {
    if (photo.faces.length === 0) continue;
    const decoded = await decodeImage(readFileSync(join(dump.root, photo.file)), { maxPixels: 40_000_000 });
    const image = { pixels: decoded.pixels, width: decoded.workingWidth, height: decoded.workingHeight };
    for (const face of photo.faces) {
      const before = process.cpuUsage();
      const details = faceChipDetails(face.landmarks, DESCRIPTOR_INPUT_SIZE, DLIB_CHIP_PADDING, '68');
      const batch = new Float32Array(count * plane);
      JITTERS.forEach((jitter, at) => {
        const moved = jittered(details, jitter);
        writePlanarChip(extractFaceChip(image, moved), DESCRIPTOR_INPUT_SIZE, FACE_NORMALISATION, batch, 2 * at * plane);
        writePlanarChip(extractFaceChip(image, moved, true), DESCRIPTOR_INPUT_SIZE, FACE_NORMALISATION, batch, (2 * at + 1) * plane);
      });
      const values = await net(batch, count);
      const variants = Array.from({ length: count }, (_, at) =>
        Array.from(values.subarray(at * 128, (at + 1) * 128), (value) => Number(value.toFixed(7))),
      );
      const cpu = process.cpuUsage(before);
      cpuMs += (cpu.user + cpu.system) / 1000;
      faces++;
      face.descriptor = variants[0].map((value, k) => Number(((value + variants[1][k]) / 2).toFixed(7)));
      face.variants = variants;
    }
    if ((index + 1) % 100 === 0) console.log(`described ${index + 1}/${dump.photos.length} photos`);
  }
  writeDump(
    {
      ...dump,
      engine: `${dump.engine}; dlib chip 68-point + flip, variants: ${JITTERS.map((jitter) => jitter.name).join(', ')} × mirror`,
      generatedAt: new Date().toISOString(),
    },
    output,
  );
  console.log(`${faces} faces, ${count} variants each: ${(cpuMs / faces / count).toFixed(1)} ms CPU per variant (chip + net, one thread, batched)`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
