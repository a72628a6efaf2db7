import { parseRouteId } from '@visage/domain';

/** A urlencoded form as Express parsed it (undefined without a body). */
export type FormBody = Record<string, unknown> | undefined;

/** A text field of the form, trimmed; '' when missing or not text. */
export function formField(body: FormBody, name: string): string {
  const value = body?.[name];
  return typeof value === 'string' ? value.trim() : '';
}

/** Every id a form field holds (a field repeated, or `name[]`), ids that do not parse left out. */
export function formIds(body: FormBody, name: string): number[] {
  const value = body?.[name];
  const values: unknown[] = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return values.flatMap((text) => {
    const id = typeof text === 'string' ? parseRouteId(text.trim()) : undefined;
    return id === undefined ? [] : [id];
  });
}
