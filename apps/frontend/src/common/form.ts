/** A urlencoded form as Express parsed it (undefined without a body). */
export type FormBody = Record<string, unknown> | undefined;

/** A text field of the form, trimmed; '' when missing or not text. */
export function formField(body: FormBody, name: string): string {
  const value = body?.[name];
  return typeof value === 'string' ? value.trim() : '';
}
