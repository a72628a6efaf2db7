import { Body } from '@nestjs/common';
import { validate, Validated, ValidationProblem } from '@visage/validation';
import { z } from 'zod';
import { setFlash } from './flash';
import { HttpResponse as Response } from './http';

/** A urlencoded form as its schema read it: the values, or the first problem (named by the shared rules' codes). */
export type FormInput<S extends z.ZodType> = Validated<z.output<S>>;

/**
 * The route's urlencoded form, checked by `schema`: built from the shared field rules of `@visage/validation`
 * (`personName`, `imagePath`, `idParam` …), so a value typed in the dashboard passes or fails as the receiver would
 * judge it, with the same code. The controller gets the outcome rather than a 400, because a refused form goes
 * back to the page it came from (`refuseForm`), which only the controller knows.
 */
export function ValidForm(schema: z.ZodType): ParameterDecorator {
  return Body({ transform: (value: unknown) => validate(schema, value, 'body') });
}

/** A refused form: back to `page` with "`failure`: <the rule's message>" and the rule's code as the flash. */
export function refuseForm(response: Response, page: string, failure: string, problem: ValidationProblem): void {
  setFlash(response, { kind: 'error', text: `${failure}: ${problem.message}`, code: problem.code });
  response.redirect(303, page);
}
