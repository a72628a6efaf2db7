import { z } from 'zod';
import { hasUnsafeCharacters, IMAGE_STATUSES, ImageStatus, isImageStatus, MAX_ID, parseRouteId } from '@visage/domain';
import { checkImagePathText, ImagePathError, MAX_IMAGE_PATH_LENGTH } from '@visage/storage';
import { DISPLAY_NAME_FORMAT, refuse } from './problems';

/*
 * The field rules every app shares: the receiver's bodies and queries and the dashboard's queries are built from
 * these, so a name, a path, an id or a page means the same everywhere. Each rule's JSON Schema (what OpenAPI shows)
 * comes from the same zod schema that checks it.
 */

/** Longer text than the column holds is refused, counted in characters (code points) as the columns and JSON Schema count. */
function maxCharacters(max: number) {
  return (value: string, context: z.RefinementCtx) => {
    if ([...value].length > max) context.addIssue({ code: 'too_big', origin: 'string', maximum: max, inclusive: true, input: value });
  };
}

/** A display name (a person, an API key): trimmed, 1–`max` characters, no control characters. */
export function displayName(max: number) {
  return z
    .string()
    .trim()
    .min(1)
    .superRefine((value, context) => {
      // Not a custom code: the field's own name makes it (`name_invalid`, `into_invalid` for the dashboard's merge).
      if (hasUnsafeCharacters(value)) context.addIssue({ code: 'invalid_format', format: DISPLAY_NAME_FORMAT, input: value });
    })
    .superRefine(maxCharacters(max))
    .meta({ maxLength: max });
}

/** Matches the `persons.name` column (varchar 255, counted in characters). */
export const MAX_PERSON_NAME_LENGTH = 255;
/** Matches the `api_keys.name` column. */
export const MAX_KEY_NAME_LENGTH = 100;

export const personName = displayName(MAX_PERSON_NAME_LENGTH).meta({ example: 'Ada Lovelace' });
export const keyName = displayName(MAX_KEY_NAME_LENGTH).meta({ example: 'ci' });

/**
 * An image path as a client gives it: relative to IMAGES_ROOT or absolute inside it. Its text rules are
 * `checkImagePathText`'s (codes `path_required`, `path_not_string`, `path_invalid`, in a body or a query alike);
 * whether it stays inside the root and names a file is for `resolveImagePath`.
 */
export const imagePath = z
  .custom<unknown>()
  .meta({
    type: 'string',
    minLength: 1,
    maxLength: MAX_IMAGE_PATH_LENGTH,
    description: 'Relative to IMAGES_ROOT, or absolute inside it',
    example: 'holiday/beach.jpg',
  })
  .transform((input, context): string => {
    try {
      return checkImagePathText(input);
    } catch (error) {
      if (!(error instanceof ImagePathError)) throw error;
      refuse(context, input, { code: error.code, message: error.message });
      return z.NEVER;
    }
  });

/** An id in a JSON body (a number, not text): a positive 32-bit integer, else `code`. */
export function bodyId(field: string, code: string) {
  return z
    .custom<number>((value) => typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= MAX_ID, {
      error: `${field} must be a positive integer up to ${MAX_ID}`,
      params: { code },
    })
    .meta({ type: 'integer', minimum: 1, maximum: MAX_ID });
}

/**
 * One query parameter: given at most once (express makes `?a=1&a=2` an array), an empty value counts as absent;
 * `read` turns the text into the value or undefined when it is not one (then 400 `invalid_<name>` with `message`).
 */
export function queryParam<T>(
  name: string,
  message: string,
  read: (text: string) => T | undefined,
  documented: z.core.JSONSchemaMeta = { type: 'string' },
) {
  return z
    .string({ error: `${name} must be given once, as text` })
    .meta(documented) // what the text stands for, as OpenAPI shows it
    .optional()
    .transform((text, context): T | undefined => {
      if (text === undefined || text === '') return undefined;
      const value = read(text);
      if (value === undefined) refuse(context, text, { code: `invalid_${name}`, message });
      return value;
    });
}

/** `?status=` of an image list. */
export const imageStatusParam = queryParam<ImageStatus>(
  'status',
  `status must be one of ${IMAGE_STATUSES.join(', ')}`,
  (text) => (isImageStatus(text) ? text : undefined),
  { type: 'string', enum: [...IMAGE_STATUSES] },
);

/** An id given as text (a route or a query): see `parseRouteId`. */
export function idParam(name: string, description?: string) {
  return queryParam(name, `${name} must be a positive integer up to ${MAX_ID}`, parseRouteId, {
    type: 'integer',
    minimum: 1,
    maximum: MAX_ID,
    ...(description ? { description } : {}),
  });
}

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;

/** `?cursor=`: a `nextCursor` this app returned, read by the list's own decoder. */
export function cursorParam<Cursor>(decode: (text: string) => Cursor | undefined) {
  return queryParam('cursor', 'cursor is not one this API returned (use nextCursor of the previous page)', decode, {
    type: 'string',
    description: 'nextCursor of the previous page',
  });
}

/** `?limit=&cursor=` of a keyset-paginated list, with the list's own cursor decoder. */
export function keysetPageQuery<Cursor>(decode: (text: string) => Cursor | undefined) {
  return z.object({
    limit: queryParam(
      'limit',
      `limit must be an integer from 1 to ${MAX_PAGE_SIZE}`,
      (text) => {
        const limit = /^\d{1,4}$/.test(text) ? Number(text) : NaN;
        return limit >= 1 && limit <= MAX_PAGE_SIZE ? limit : undefined;
      },
      { type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE },
    ).transform((limit) => limit ?? DEFAULT_PAGE_SIZE),
    cursor: cursorParam(decode),
  });
}
