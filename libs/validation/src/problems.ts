import { z } from 'zod';

/** Why a value was refused: a stable machine-readable `code` and a sentence for people. */
export interface ValidationProblem {
  code: string;
  message: string;
}

/** Where the value came from: body codes read `<field>_<problem>`, query codes `invalid_<field>` (as they always have). */
export type ValidationSource = 'body' | 'query' | 'item';

type RawIssue = z.core.$ZodRawIssue;

/** The format of a display name's issue (`displayName`): no control or bidirectional-override characters. */
export const DISPLAY_NAME_FORMAT = 'display_name';
type Issue = z.core.$ZodIssue;

/** The field an issue is about: the last named segment of its path, or the source itself at the top. */
function fieldOf(path: readonly PropertyKey[], source: ValidationSource): string {
  const named = path.filter((segment): segment is string => typeof segment === 'string');
  return named[named.length - 1] ?? source;
}

const A_OR_AN: Record<string, string> = {
  object: 'a JSON object',
  array: 'an array',
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
};

function isMissing(input: unknown): boolean {
  return input === undefined || input === null;
}

/**
 * The sentence for an issue whose rule did not write its own (zod's defaults read "Invalid input: expected string,
 * received number"). Given to every parse as its error map, so it sees the whole path.
 */
export function standardMessage(issue: RawIssue): string | undefined {
  const field = fieldOf(issue.path ?? [], 'body');
  const subject = field === 'body' ? 'request body' : field;
  switch (issue.code) {
    case 'invalid_type':
      if (isMissing(issue.input)) return `${subject} is required`;
      return `${subject} must be ${A_OR_AN[issue.expected] ?? issue.expected}`;
    case 'too_small':
      return issue.origin === 'array' || issue.origin === 'string' ? `${subject} must not be empty` : `${subject} must be at least ${issue.minimum}`;
    case 'too_big':
      if (issue.origin === 'array') return `${subject} may hold at most ${issue.maximum} items, not ${(issue.input as unknown[]).length}`;
      if (issue.origin === 'string') return `${subject} must be at most ${issue.maximum} characters`;
      return `${subject} must be at most ${issue.maximum}`;
    case 'invalid_value':
      return `${subject} must be one of ${issue.values.map(String).join(', ')}`;
    case 'invalid_format':
      return issue.format === DISPLAY_NAME_FORMAT ? `${subject} must not contain control or bidirectional-override characters` : undefined;
    default:
      return undefined;
  }
}

/**
 * The one table from a zod issue to our code. A rule that needs a code of its own raises a custom issue with
 * `params: { code }`; everything else follows the naming the API has always used.
 */
export function problemOf(issue: Issue, source: ValidationSource): ValidationProblem {
  const message = issue.message;
  if (issue.code === 'custom' && typeof issue.params?.code === 'string') return { code: issue.params.code, message };
  const field = fieldOf(issue.path, source);
  if (source === 'query') return { code: `invalid_${field}`, message };
  switch (issue.code) {
    case 'invalid_type':
      return { code: isMissing(issue.input) ? `${field}_required` : `${field}_not_${issue.expected}`, message };
    case 'too_small':
      return { code: issue.origin === 'array' ? `${field}_empty` : issue.origin === 'string' ? `${field}_required` : `${field}_too_small`, message };
    case 'too_big':
      return { code: issue.origin === 'array' ? `${field}_too_many` : issue.origin === 'string' ? `${field}_too_long` : `${field}_too_big`, message };
    default:
      return { code: `${field}_invalid`, message };
  }
}

export type Validated<T> = { ok: true; value: T } | { ok: false; problem: ValidationProblem };

/** Parses `value` with `schema`; a refusal is the first problem found, as `problemOf` names it. */
export function validate<S extends z.ZodType>(schema: S, value: unknown, source: ValidationSource): Validated<z.output<S>> {
  const result = schema.safeParse(value, { reportInput: true, error: standardMessage });
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, problem: problemOf(result.error.issues[0], source) };
}

/** A refusal raised inside a rule (a transform or check) with its own code and message. */
export function refuse(context: z.core.ParsePayload | z.RefinementCtx, input: unknown, problem: ValidationProblem): void {
  context.issues.push({ code: 'custom', message: problem.message, params: { code: problem.code }, input });
}
