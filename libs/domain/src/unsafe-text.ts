/**
 * Characters a path or a name may not hold: C0 controls and DEL (a newline forges log lines), C1 controls, and
 * the bidirectional overrides and isolates (U+202A–U+202E, U+2066–U+2069) plus the invisible direction marks,
 * which make a name or a path display as something else ("Trojan Source").
 */
// eslint-disable-next-line no-control-regex
const UNSAFE_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;
const EVERY_UNSAFE_CHARACTER = new RegExp(UNSAFE_CHARACTERS.source, 'gu');

export function hasUnsafeCharacters(text: string): boolean {
  return UNSAFE_CHARACTERS.test(text);
}

/** The text with each unsafe character written as a `\uXXXX` escape, so it shows (and forges nothing) where printed. */
export function escapeUnsafeCharacters(text: string): string {
  return text.replace(EVERY_UNSAFE_CHARACTER, (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
