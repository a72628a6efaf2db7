/**
 * How well the unknown-people groups follow real people, measured on a face dump (the JSON `bench:identity
 * --write-faces` writes: every photo of a `<Person>/<photo>` folder with its faces' boxes and descriptors).
 * Nobody is enrolled: every detected face is an unknown face, grouped by the product's own `ClusterIndex`.
 */
import { readFileSync } from 'node:fs';
import { ClusterIndex, ClusteredFace, isGroupable } from '@visage/matcher';
import { countBy, pairwiseScores } from './identity/evaluate';
import { dumpDescriptor } from './identity/face-dump';

/** The part of a face dump the grouping needs. */
export interface GroupingDump {
  photos: Array<{
    person: string;
    file: string;
    width: number;
    height: number;
    faces: Array<{ box: { x: number; y: number; width: number; height: number }; descriptor: number[] }>;
  }>;
}

export interface LabelledFace extends ClusteredFace {
  /** The photo's person for its labelled face; a label of its own for any other face in the photo. */
  label: string;
  box: { width: number; height: number };
}

export interface GroupingQuality {
  faces: number;
  groups: number;
  /** Pairs of faces in one group that are one person / pairs in one group. */
  precision: number;
  /** Pairs of faces of one person that share a group / pairs of faces of one person. */
  recall: number;
  /** Groups holding two faces of one photo (must be 0). */
  twoFacesOfOnePhoto: number;
  largestGroup: number;
  /** Members marked outliers, and how many of them are not their group's majority person. */
  outliers: number;
  outliersWrong: number;
  /** Members that are not their group's majority person. */
  wrongMembers: number;
}

export function readDump(path: string): GroupingDump {
  return JSON.parse(readFileSync(path, 'utf8')) as GroupingDump;
}

/**
 * Every face of the dump, one image per photo. The photo's labelled face is the one nearest the photo's centre
 * (largest on a tie): in LFW the named person is the centred face. Other faces are people of their own.
 */
export function labelledFaces(dump: GroupingDump): LabelledFace[] {
  const faces: LabelledFace[] = [];
  dump.photos.forEach((photo, imageIndex) => {
    if (photo.faces.length === 0) return;
    const offCentre = photo.faces.map((face) =>
      Math.hypot(face.box.x + face.box.width / 2 - photo.width / 2, face.box.y + face.box.height / 2 - photo.height / 2),
    );
    let labelled = 0;
    photo.faces.forEach((face, index) => {
      const best = photo.faces[labelled];
      if (
        offCentre[index] < offCentre[labelled] ||
        (offCentre[index] === offCentre[labelled] && face.box.width * face.box.height > best.box.width * best.box.height)
      )
        labelled = index;
    });
    photo.faces.forEach((face, index) => {
      faces.push({
        id: faces.length + 1,
        imageId: imageIndex + 1,
        descriptor: dumpDescriptor(face.descriptor),
        label: index === labelled ? photo.person : `${photo.file}#${index}`,
        box: face.box,
      });
    });
  });
  return faces;
}

/**
 * Groups the faces in the given order with the product's rule and measures the groups against the labels. Faces
 * too small to be grouped ({@link isGroupable}) count as groups of their own.
 */
export function groupAndMeasure(faces: readonly LabelledFace[], threshold: number): GroupingQuality {
  const index = new ClusterIndex(threshold);
  for (const face of faces) if (isGroupable(face.box)) index.add(face);
  const byId = new Map(faces.map((face) => [face.id, face]));
  const groups = new Map<number, LabelledFace[]>();
  for (const face of faces) {
    const group = index.groupOf(face.id) ?? -face.id;
    groups.set(group, [...(groups.get(group) ?? []), face]);
  }
  let twoFacesOfOnePhoto = 0;
  let wrongMembers = 0;
  let outliers = 0;
  let outliersWrong = 0;
  for (const [id, members] of groups) {
    const labels = countBy(members, (face) => face.label);
    if (new Set(members.map((face) => face.imageId)).size < members.length) twoFacesOfOnePhoto++;
    const majority = [...labels.entries()].sort((a, b) => b[1] - a[1])[0][0];
    wrongMembers += members.filter((face) => face.label !== majority).length;
    for (const faceId of index.outliers(id)) {
      outliers++;
      if (byId.get(faceId)?.label !== majority) outliersWrong++;
    }
  }
  const { precision, recall } = pairwiseScores([...groups.values()], (face) => face.label);
  return {
    faces: faces.length,
    groups: groups.size,
    precision,
    recall,
    twoFacesOfOnePhoto,
    largestGroup: Math.max(0, ...[...groups.values()].map((members) => members.length)),
    outliers,
    outliersWrong,
    wrongMembers,
  };
}
