/**
 * The base of an error Visage throws on purpose: `code` names what went wrong, from its module's one list (a
 * string-literal union exported beside the error class), so callers and each transport's mapper branch on the code,
 * never on the class name or the message. `name` is the subclass's own.
 */
export abstract class CodedError<Code extends string> extends Error {
  constructor(
    readonly code: Code,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * The message of anything thrown, for logs, stored errors and response bodies: an Error's message, a string,
 * Nest's HTTP error body (`{message: string | string[]}`, read through `getResponse()`), or an object with a
 * `message` (Nest's serialised RPC error). The one helper for this; do not write another.
 */
export function describeError(error: unknown): string {
  if (typeof error === 'object' && error !== null && typeof (error as { getResponse?: unknown }).getResponse === 'function') {
    const body = (error as { getResponse(): unknown }).getResponse();
    if (typeof body === 'string') return body;
    const message = (body as { message?: unknown } | null)?.message;
    if (Array.isArray(message)) return message.map(String).join('; ');
    if (typeof message === 'string') return message;
  }
  if (error instanceof Error) return error.message || error.name;
  if (typeof error === 'string') return error;
  if (typeof error === 'object' && error !== null && 'message' in error) {
    const message = (error as { message: unknown }).message;
    if (typeof message === 'string') return message;
  }
  try {
    return JSON.stringify(error) ?? String(error);
  } catch {
    return String(error);
  }
}
