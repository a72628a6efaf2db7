import { readFileSync } from 'node:fs';

/**
 * A face dump: every photo of a labelled folder (`<Person>/<photo>`) run once through the recognizer, with each
 * face's box, score, descriptor and landmarks (pixels of the original image). Written by the identity bench;
 * read here so matching and grouping can be measured in seconds without the recognizer.
 */
export interface FaceDump {
  engine: string;
  generatedAt: string;
  root: string;
  photos: DumpPhoto[];
}

export interface DumpPhoto {
  person: string;
  /** Relative to the dump's root. */
  file: string;
  width: number;
  height: number;
  faces: DumpFace[];
  /** Set when the recognizer refused the photo. */
  error?: string;
}

export interface DumpFace {
  box: { x: number; y: number; width: number; height: number };
  score: number;
  descriptor: number[];
  landmarks?: Array<{ x: number; y: number }>;
}

export function readFaceDump(path: string): FaceDump {
  const dump = JSON.parse(readFileSync(path, 'utf8')) as FaceDump;
  if (!Array.isArray(dump.photos)) throw new Error(`${path} is not a face dump (no "photos" array)`);
  return dump;
}

/**
 * The index of the photo's labelled face: the one whose centre is nearest the photo's centre (LFW centres the
 * labelled person), the larger on a tie; -1 when no face was found.
 */
export function labelledFace(photo: DumpPhoto): number {
  let best = -1;
  let bestOffset = Infinity;
  photo.faces.forEach((face, index) => {
    const offset = Math.hypot(face.box.x + face.box.width / 2 - photo.width / 2, face.box.y + face.box.height / 2 - photo.height / 2);
    const larger = best >= 0 && offset === bestOffset && face.box.width * face.box.height > photo.faces[best].box.width * photo.faces[best].box.height;
    if (offset < bestOffset || larger) {
      best = index;
      bestOffset = offset;
    }
  });
  return best;
}
