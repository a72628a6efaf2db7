import { NotFoundException } from '@nestjs/common';
import { parseRouteId } from '@visage/domain';

/** What a dashboard route looks up by id; its 404 code is the receiver's for the same thing (`image_not_found`). */
export type MissingThing = 'image' | 'person' | 'face' | 'cluster';

/** The dashboard's word for each (a cluster is a "group" on the pages). */
const LABELS: Record<MissingThing, string> = { image: 'image', person: 'person', face: 'face', cluster: 'group' };

/** The 404 of an unknown (or malformed) id, with the code `FrontendErrorFilter` passes on to the page or JSON. */
export function notFound(thing: MissingThing, idParam: string): NotFoundException {
  return new NotFoundException({ message: `There is no ${LABELS[thing]} with id ${idParam}.`, code: `${thing}_not_found` });
}

/** The id of a route, or the 404 of `thing` when the text is not one. */
export function routeIdOf(thing: MissingThing, idParam: string): number {
  const id = parseRouteId(idParam);
  if (id === undefined) throw notFound(thing, idParam);
  return id;
}
