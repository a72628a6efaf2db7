import { QueryRunner } from 'typeorm';
import { personNameKey } from '../person-name';

/** The `persons.name` column's length, in characters. */
const MAX_NAME_CHARACTERS = 255;

export interface PersonRenamed {
  id: number;
  from: string;
  to: string;
}

/**
 * Fills `persons.name_key` (the column exists, nullable, unindexed) for both dialects. Names that differ only in
 * case were two persons before this rule; they stay two persons (the older keeps its name, each later one is
 * renamed "<name> (2)", "(3)" … to the first free name) rather than being merged or refused: merging could fuse
 * two real people's enrolments, and refusing would stop the upgrade until someone edits the database by hand. An
 * admin who sees they are one person merges them (`POST /persons/:id/merge`), or renames them (`PATCH /persons/:id`). Each rename is written to the audit
 * log (actor `migration`, action `person.renamed`) and returned.
 */
export async function fillPersonNameKeys(queryRunner: QueryRunner, quote: (identifier: string) => string): Promise<PersonRenamed[]> {
  const persons: Array<{ id: number | string; name: string }> = await queryRunner.query(`SELECT id, name FROM ${quote('persons')} ORDER BY id`);
  const taken = new Set<string>();
  const keyed: Array<{ id: number; name: string; key: string }> = [];
  const clashing: Array<{ id: number; name: string }> = [];
  for (const person of persons) {
    const key = personNameKey(person.name);
    if (taken.has(key)) clashing.push({ id: Number(person.id), name: person.name });
    else keyed.push({ id: Number(person.id), name: person.name, key });
    taken.add(key);
  }
  const renamed: PersonRenamed[] = [];
  for (const person of clashing) {
    const to = firstFreeName(person.name, taken);
    const key = personNameKey(to);
    taken.add(key);
    keyed.push({ id: person.id, name: to, key });
    renamed.push({ id: person.id, from: person.name, to });
  }
  for (const person of keyed) {
    await queryRunner.query(`UPDATE ${quote('persons')} SET ${quote('name')} = ?, ${quote('name_key')} = ? WHERE ${quote('id')} = ?`, [
      person.name,
      person.key,
      person.id,
    ]);
  }
  for (const rename of renamed) {
    await queryRunner.query(
      `INSERT INTO ${quote('audit_events')} (${['actor', 'action', 'target', 'details'].map(quote).join(', ')}) VALUES (?, ?, ?, ?)`,
      [
        'migration',
        'person.renamed',
        `person:${rename.id}`,
        JSON.stringify({ from: rename.from, to: rename.to, reason: 'names differing only in case are one name' }),
      ],
    );
  }
  return renamed;
}

function firstFreeName(name: string, taken: ReadonlySet<string>): string {
  for (let n = 2; ; n += 1) {
    const suffix = ` (${n})`;
    const base = [...name].slice(0, MAX_NAME_CHARACTERS - suffix.length).join('');
    const candidate = `${base}${suffix}`;
    if (!taken.has(personNameKey(candidate))) return candidate;
  }
}
