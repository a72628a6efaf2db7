import { FaceBox } from '@visage/domain';

/**
 * How much more prominent than every other face the enrolled face must be. 1.75: in the 55 LFW dev photos with
 * several faces the person the photo is of is 1.8–14× as prominent as the next face (the closest: a bystander as
 * large as the person, at the edge of the frame), while in the group photos of ../shared/faces the most prominent
 * face is at most 1.61× the next (1.02–1.15 for people side by side). A wrong pick would put a stranger in the
 * gallery, a refusal only asks for another photo: ties go to refusing.
 */
export const DOMINANCE_MARGIN = 1.75;

/**
 * How much a face stands out in its photo: its linear size (√area) times its closeness to the centre (1 at the
 * centre, 0 at a corner). Size alone would pick a bystander leaning into the camera over the centred subject,
 * centrality alone a small face in the middle of a crowd.
 */
export function prominence(box: FaceBox, width: number, height: number): number {
  const halfDiagonal = Math.hypot(width, height) / 2;
  const offCentre = Math.hypot(box.x + box.width / 2 - width / 2, box.y + box.height / 2 - height / 2);
  return Math.sqrt(Math.max(0, box.width) * Math.max(0, box.height)) * Math.max(0, 1 - offCentre / halfDiagonal);
}

/** The faces of a photo, most prominent first. */
export function byProminence<T extends { box: FaceBox }>(faces: readonly T[], width: number, height: number): T[] {
  return faces
    .map((face) => ({ face, value: prominence(face.box, width, height) }))
    .sort((a, b) => b.value - a.value)
    .map(({ face }) => face);
}

/**
 * The face a photo is clearly of: the only one, or the most prominent when it is at least {@link DOMINANCE_MARGIN}
 * times as prominent as the next; undefined when there is no face or no face stands out.
 */
export function dominantFace<T extends { box: FaceBox }>(faces: readonly T[], width: number, height: number): T | undefined {
  if (faces.length <= 1) return faces[0];
  const [first, second] = byProminence(faces, width, height);
  return prominence(first.box, width, height) >= DOMINANCE_MARGIN * prominence(second.box, width, height) ? first : undefined;
}
