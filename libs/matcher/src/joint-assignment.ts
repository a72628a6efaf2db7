import { FaceMatch } from '@visage/domain';
import { Identity } from './gallery-delta';

/** One face of an image to name: its descriptor and the persons it must never be (rejected in the review). */
export interface FaceToAssign {
  descriptor: Float32Array;
  rejectedPersonIds?: readonly number[];
  /** Judged of low quality (blurred, tiny, turned away): never named, takes nobody from another face. */
  lowQuality?: boolean;
}

/** A gallery's match of one descriptor without the `excluded` persons: {@link GalleryView.match}. */
export type MatchExcluding = (descriptor: Float32Array, excluded: ReadonlySet<number> | undefined) => (FaceMatch & { matched: boolean }) | undefined;

/**
 * Names the faces of one image together, so that no person is named twice in one photo: the face nearest to a
 * person keeps the name, and a face that loses it is matched again without the persons already taken — it takes
 * its next candidate when the match rule still names it, else nobody. Faces are settled nearest first, so a face
 * displaced onto its next candidate never takes it from a face nearer to that candidate. Ties go to the earlier
 * face. An unnamed face keeps the distance to its nearest enrolment (what a stranger's distance always shows).
 * `unconstrained`, when given, is each face's own identity already matched against the same gallery (with its
 * rejections): only displaced faces are matched again. A low-quality face is never named (its nearest distance
 * is kept).
 */
export function assignJointly(faces: readonly FaceToAssign[], match: MatchExcluding, unconstrained?: readonly Identity[]): Identity[] {
  const excluded = faces.map((face) => new Set(face.rejectedPersonIds ?? []));
  const own =
    unconstrained ??
    faces.map((face, index): Identity => {
      const found = match(face.descriptor, excluded[index].size > 0 ? excluded[index] : undefined);
      return { personId: found?.matched ? found.personId : null, distance: found?.distance ?? null };
    });
  const identities: Identity[] = own.map((identity) => ({ personId: null, distance: identity.distance }));
  /** Each face's candidate still to settle: its own identity first, then its next ones. */
  const candidates = own.map((identity, index) =>
    identity.personId === null || faces[index].lowQuality ? undefined : { personId: identity.personId, distance: identity.distance ?? 0 },
  );
  const taken = new Set<number>();
  for (;;) {
    let nearest = -1;
    candidates.forEach((candidate, index) => {
      if (candidate && (nearest < 0 || candidate.distance < (candidates[nearest]?.distance ?? Infinity))) nearest = index;
    });
    if (nearest < 0) return identities;
    const candidate = candidates[nearest] as { personId: number; distance: number };
    candidates[nearest] = undefined;
    if (!taken.has(candidate.personId)) {
      taken.add(candidate.personId);
      identities[nearest] = { personId: candidate.personId, distance: candidate.distance };
      continue;
    }
    // Displaced by a nearer face: the next candidate among the persons nobody has taken yet.
    for (const personId of taken) excluded[nearest].add(personId);
    const next = match(faces[nearest].descriptor, excluded[nearest]);
    if (next?.matched) candidates[nearest] = { personId: next.personId, distance: next.distance };
  }
}
