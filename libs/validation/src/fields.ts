import { z } from 'zod';
import { IMAGE_STATUSES, ImageStatus, isImageStatus, MAX_ID, parseRouteId } from '@visage/domain';
import { refuse, ValidationProblem } from './problems';

/*
 * The field rules every app shares: the receiver's bodies and queries and the dashboard's queries are built from
 * these, so a name, a path, an id or a page means the same everywhere. Each rule's JSON Schema (what OpenAPI shows)
 * comes from the same zod schema that checks it.
 */

const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/; // eslint-disable-line no-control-regex

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
      if (CONTROL_CHARACTERS.test(value)) refuse(context, value, { code: 'name_invalid', message: 'name must not contain control characters' });
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

/** Longest image path accepted (Linux PATH_MAX). */
export const MAX_IMAGE_PATH_LENGTH = 4096;

/** Problems of the path value itself, before the disk is asked (`resolveImagePath` checks the rest). */
export const IMAGE_PATH_PROBLEMS = {
  path_required: 'path is required and must not be empty',
  path_not_string: 'path must be a string',
  path_invalid: 'path contains invalid characters',
} as const satisfies Record<string, string>;

const pathInvalid = (detail: string): ValidationProblem => ({ code: 'path_invalid', message: `${IMAGE_PATH_PROBLEMS.path_invalid}: ${detail}` });

/**
 * An image path as a client gives it: relative to IMAGES_ROOT or absolute inside it; trimmed, not empty, no NUL,
 * at most 4096 characters. Whether it stays inside the root and names a file is for `resolveImagePath`.
 */
export const imagePath = z
  .string({ error: (issue) => (issue.input === undefined || issue.input === null ? IMAGE_PATH_PROBLEMS.path_required : IMAGE_PATH_PROBLEMS.path_not_string) })
  .trim()
  .min(1, IMAGE_PATH_PROBLEMS.path_required)
  .superRefine((value, context) => {
    if (value.includes('\0')) refuse(context, value, pathInvalid('NUL byte'));
    else if (value.length > MAX_IMAGE_PATH_LENGTH) refuse(context, value, pathInvalid('too long'));
  })
  .meta({ maxLength: MAX_IMAGE_PATH_LENGTH, description: 'Relative to IMAGES_ROOT, or absolute inside it', example: 'holiday/beach.jpg' });

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
export function queryParam<T>(name: string, message: string, read: (text: string) => T | undefined, documented: z.core.JSONSchemaMeta = { type: 'string' }) {
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

/** `?limit=&cursor=` of a keyset-paginated list, with the list's own cursor decoder. */
export function keysetPageQuery<Cursor>(decode: (text: string) => Cursor | undefined) {
  return z.object({
    limit: queryParam('limit', `limit must be an integer from 1 to ${MAX_PAGE_SIZE}`, (text) => {
      const limit = /^\d{1,4}$/.test(text) ? Number(text) : NaN;
      return limit >= 1 && limit <= MAX_PAGE_SIZE ? limit : undefined;
    }, { type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE }).transform((limit) => limit ?? DEFAULT_PAGE_SIZE),
    cursor: queryParam('cursor', 'cursor is not one this API returned (use nextCursor of the previous page)', decode, {
      type: 'string',
      description: 'nextCursor of the previous page',
    }),
  });
}
