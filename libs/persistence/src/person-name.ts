import { createHash } from 'node:crypto';

/**
 * Person names are unique ignoring case ("AMY" and "amy" are one person) by the same rule on MySQL and SQLite:
 * the rule is computed here, not left to a column collation (MySQL's `_ci` collations also ignore accents and
 * pad spaces, SQLite's NOCASE folds ASCII only). `persons.name_key` holds this key under a unique index.
 *
 * The fold: NFC, then upper case, then lower case (so "Straße" and "STRASSE" fold alike; no locale, so the same
 * on every machine). Hashed (sha256, hex) to a fixed 64 characters that no collation can compare loosely.
 */
export function personNameKey(name: string): string {
  return createHash('sha256').update(name.normalize('NFC').toUpperCase().toLowerCase()).digest('hex');
}

/**
 * The one order of person names, for the API and the dashboard alike: case and accents ignored, numbers in
 * numeric order ("Amy 2" before "amy 10"), ties by id. Sorted in the app, not by a column collation, so MySQL
 * and SQLite list the same order.
 */
const PERSON_NAME_COLLATOR = new Intl.Collator('en', { sensitivity: 'base', numeric: true });

export function comparePersons(a: { name: string; id: number }, b: { name: string; id: number }): number {
  return PERSON_NAME_COLLATOR.compare(a.name, b.name) || a.id - b.id;
}
