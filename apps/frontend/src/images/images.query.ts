import { ImageStatus } from '@visage/domain';
import { idParam, imageStatusParam, queryParam, refuse } from '@visage/validation';
import { z } from 'zod';

export const MAX_SEARCH_LENGTH = 200;

export interface ImagesFilterQuery {
  status?: ImageStatus;
  search?: string;
  /** `?person=<id>`: where this person appears (the people page links here). */
  personId?: number;
}

export interface ImagesPageQuery extends ImagesFilterQuery {
  older?: number;
  newer?: number;
}

/** `?q=`: trimmed, blank counts as absent. */
const searchParam = queryParam('q', `the search text must be at most ${MAX_SEARCH_LENGTH} characters`, (text) =>
  text.trim().length <= MAX_SEARCH_LENGTH ? text.trim() : undefined,
).transform((search) => search || undefined);

/** Status, search and person: the receiver's rules for `?status=` and `?person=`, shared by the page and the live feed. */
const filterFields = { status: imageStatusParam, q: searchParam, person: idParam('person') };

function toFilter({ status, q, person }: z.output<z.ZodObject<typeof filterFields>>): ImagesFilterQuery {
  return { status, search: q, personId: person };
}

/** `/?status=&q=&person=&older=|newer=`: one page of the image list, before or after an image id. */
export const imagesPageQuery = z
  .object({ ...filterFields, older: idParam('older'), newer: idParam('newer') })
  .transform((query, context): ImagesPageQuery => {
    if (query.older !== undefined && query.newer !== undefined) {
      refuse(context, query, { code: 'ambiguous_page', message: 'give either "older" or "newer", not both' });
    }
    return { ...toFilter(query), older: query.older, newer: query.newer };
  });

/** `/api/images/changes?since=&…filter`: what changed after an ISO 8601 time. */
export const imageChangesQuery = z
  .object({
    ...filterFields,
    since: queryParam('since', 'since must be an ISO 8601 time such as 2024-01-31T12:00:00.000Z', (text) => {
      const date = new Date(text);
      return /^\d{4}-\d\d-\d\dT/.test(text) && !Number.isNaN(date.getTime()) ? date : undefined;
    }),
  })
  .transform((query, context): { since: Date; filter: ImagesFilterQuery } => {
    if (query.since) return { since: query.since, filter: toFilter(query) };
    refuse(context, query, { code: 'invalid_since', message: 'since is required: an ISO 8601 time such as 2024-01-31T12:00:00.000Z' });
    return z.NEVER;
  });
