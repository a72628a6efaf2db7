/**
 * LIKE patterns from user or file text, matched literally on MariaDB and SQLite. The escape character is `!`,
 * named by every query with {@link LIKE_ESCAPE}: SQLite's LIKE has no default escape (a `\` before `_` is two
 * characters to it), and a `\` in the ESCAPE clause would need `'\\'` in MariaDB's literals but `'\'` in SQLite's.
 */
export const LIKE_ESCAPE = "ESCAPE '!'";

/** `text` with the LIKE wildcards (`%`, `_`) and the escape character itself escaped. */
export function escapeLike(text: string): string {
  return text.replace(/[!%_]/g, (char) => `!${char}`);
}

/** Pattern of the values containing `term`. */
export function likeContains(term: string): string {
  return `%${escapeLike(term)}%`;
}

/** Pattern of the values starting with `prefix`. */
export function likePrefix(prefix: string): string {
  return `${escapeLike(prefix)}%`;
}
