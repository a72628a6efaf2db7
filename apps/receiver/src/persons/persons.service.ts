import { HttpStatus, Injectable } from '@nestjs/common';
import { PersonRepository, PersonView } from '@visage/persistence';
import { ApiError } from '../common/api-error';

@Injectable()
export class PersonsService {
  constructor(private readonly persons: PersonRepository) {}

  list(): Promise<PersonView[]> {
    return this.persons.list();
  }

  async get(id: number): Promise<PersonView> {
    const person = await this.persons.findById(id);
    if (!person) throw notFound(id);
    return person;
  }

  async create(name: string): Promise<PersonView> {
    const result = await this.persons.create(name);
    if (!result.created) {
      throw new ApiError(HttpStatus.CONFLICT, `a person named ${JSON.stringify(name)} already exists`, { code: 'duplicate_name', id: result.existingId });
    }
    return result.person;
  }

  async delete(id: number): Promise<void> {
    if (!(await this.persons.delete(id))) throw notFound(id);
  }
}

function notFound(id: number): ApiError {
  return new ApiError(HttpStatus.NOT_FOUND, `person ${id} does not exist`, { code: 'person_not_found' });
}
