import { HttpStatus } from '@nestjs/common';
import { PersonImageRepository } from '@visage/persistence';
import { ApiError } from '../common/api-error';
import { AssignTarget } from '../faces/dto/face.dto';

export function personNotFound(id: number): ApiError {
  return new ApiError(HttpStatus.NOT_FOUND, `person ${id} does not exist`, { code: 'person_not_found' });
}

/** Faces named after an existing person (not a new name) need that person: 404 `person_not_found` otherwise. */
export async function assertPersonExists(enrolments: PersonImageRepository, target: AssignTarget): Promise<void> {
  if ('personId' in target && !(await enrolments.findPersonById(target.personId))) throw personNotFound(target.personId);
}

// A person deleted after that check fails the naming transaction with PersistenceError('person_deleted'): 409.
