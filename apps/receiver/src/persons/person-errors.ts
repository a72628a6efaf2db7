import { HttpStatus } from '@nestjs/common';
import { PersonImageRepository, PersonRef } from '@visage/persistence';
import { ApiError } from '../common/api-error';
import { AssignTarget } from '../faces/dto/face.dto';

export function personNotFound(id: number): ApiError {
  return new ApiError(HttpStatus.NOT_FOUND, `person ${id} does not exist`, { code: 'person_not_found' });
}

/** 409 `duplicate_name`: `name` is taken by `existing`, exactly or differing only in case (names ignore case). */
export function duplicateName(name: string, existing: PersonRef): ApiError {
  const same = existing.name === name ? '' : ` as ${JSON.stringify(existing.name)} (names ignore case)`;
  return new ApiError(HttpStatus.CONFLICT, `a person named ${JSON.stringify(name)} already exists${same}`, {
    code: 'duplicate_name',
    id: existing.id,
  });
}

/**
 * Faces named after an existing person need that person: 404 `person_not_found` otherwise. A new name must not
 * differ only in case from an existing one (the exact name names that person): 409 `duplicate_name`.
 */
export async function assertPersonExists(enrolments: PersonImageRepository, target: AssignTarget): Promise<void> {
  if ('personId' in target) {
    if (!(await enrolments.findPersonById(target.personId))) throw personNotFound(target.personId);
    return;
  }
  const existing = await enrolments.findPersonByNameIgnoringCase(target.name);
  if (existing && existing.name !== target.name) throw duplicateName(target.name, existing);
}

// A person deleted after that check fails the naming transaction with PersistenceError('person_deleted'): 409; one
// created meanwhile under a name differing only in case, with PersistenceError('duplicate_name'): 409.
