import { HttpStatus, Injectable } from '@nestjs/common';
import { ImagePage, ImageRepository, ImageListQuery, PersonRepository, PersonView } from '@visage/persistence';
import { EnrolmentService } from '@visage/enrolment';
import { IncomingMessage } from 'node:http';
import { StoredUpload } from '@visage/storage';
import { ApiError } from '../common/api-error';
import { UploadReceiver } from '../uploads/upload-receiver';
import { Enrolled, enrolledOrApiError, recognizerUnavailable } from './enrolment-errors';
import { personNotFound } from './person-errors';

@Injectable()
export class PersonsService {
  constructor(
    private readonly persons: PersonRepository,
    private readonly enrolment: EnrolmentService,
    private readonly imageRepository: ImageRepository,
    private readonly uploads: UploadReceiver,
  ) {}

  /** Where the person appears (their current identities: re-matching moves images in and out). */
  async imagesOf(id: number, page: Pick<ImageListQuery, 'limit' | 'cursor'>): Promise<ImagePage> {
    await this.get(id);
    return this.imageRepository.list({ ...page, personId: id });
  }

  /**
   * The uploaded picture of `POST /persons/:id/faces` (one file), stored like an image upload: its path under
   * IMAGES_ROOT, to enrol from. Refused before anything is enrolled when it is not one acceptable picture.
   */
  async receivePhoto(request: IncomingMessage): Promise<string> {
    const files = await this.uploads.receive(request, { maxFiles: 1 });
    if (files.length > 1) {
      throw new ApiError(HttpStatus.BAD_REQUEST, `send exactly one file to enrol, not ${files.length}`, { code: 'too_many_files' });
    }
    const [file] = files;
    if (file.error) throw file.error;
    return (file.stored as StoredUpload).relative;
  }

  /** Computes the face's descriptor through the recognizer and adds it to the person's gallery. */
  async enrolFace(personId: number, path: unknown, actor: string): Promise<Enrolled> {
    const result = await this.enrolment
      .enrolFromPath(personId, path, (enrolment) => ({ actor, action: 'person.enrolled', target: `person:${personId}`, details: { enrolment: enrolment.personImageId, path: enrolment.path } }))
      .catch(recognizerUnavailable);
    return enrolledOrApiError(result);
  }

  list(): Promise<PersonView[]> {
    return this.persons.list();
  }

  async get(id: number): Promise<PersonView> {
    const person = await this.persons.findById(id);
    if (!person) throw personNotFound(id);
    return person;
  }

  async create(name: string, actor: string): Promise<PersonView> {
    const result = await this.persons.create(name, (personId) => ({ actor, action: 'person.created', target: `person:${personId}`, details: { name } }));
    if (!result.created) {
      throw new ApiError(HttpStatus.CONFLICT, `a person named ${JSON.stringify(name)} already exists`, { code: 'duplicate_name', id: result.existingId });
    }
    return result.person;
  }

  /** Forgets the person: no descriptor enrolled for them remains; their faces are matched again without them. */
  async delete(id: number, actor: string): Promise<void> {
    if (!(await this.persons.delete(id, { actor, action: 'person.deleted', target: `person:${id}` }))) throw personNotFound(id);
  }
}
