import { HttpStatus, Injectable } from '@nestjs/common';
import { ImagePage, ImageRepository, ImageListQuery, PersonRepository, PersonView } from '@visage/persistence';
import { EnrolmentDisagreement, EnrolmentIndex } from '@visage/matcher';
import { EnrolmentService } from '@visage/enrolment';
import { IncomingMessage } from 'node:http';
import { StoredUpload } from '@visage/storage';
import { ApiError } from '../common/api-error';
import { UploadReceiver } from '../uploads/upload-receiver';
import { Enrolled, enrolledOrApiError, recognizerUnavailable } from './enrolment-errors';
import { personCreatedAudit } from './person-audit';
import { duplicateName, personNotFound } from './person-errors';
import { PersonDto, PersonMergedDto } from './dto/person.dto';

@Injectable()
export class PersonsService {
  constructor(
    private readonly persons: PersonRepository,
    private readonly enrolment: EnrolmentService,
    private readonly imageRepository: ImageRepository,
    private readonly uploads: UploadReceiver,
    private readonly enrolments: EnrolmentIndex,
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
      .enrolFromPath(personId, path, (enrolment) => ({
        actor,
        action: 'person.enrolled',
        target: `person:${personId}`,
        details: { enrolment: enrolment.personImageId, path: enrolment.path },
      }))
      .catch(recognizerUnavailable);
    return enrolledOrApiError(result);
  }

  /** Every person, flagged when their enrolments disagree. */
  async list(): Promise<PersonDto[]> {
    const [persons, disagreements] = await Promise.all([this.persons.list(), this.disagreements()]);
    return persons.map((person) => flagged(person, disagreements));
  }

  async get(id: number): Promise<PersonDto> {
    const [person, disagreements] = await Promise.all([this.persons.findById(id), this.disagreements()]);
    if (!person) throw personNotFound(id);
    return flagged(person, disagreements);
  }

  async create(name: string, actor: string): Promise<PersonDto> {
    const result = await this.persons.create(name, personCreatedAudit(actor, name));
    if (!result.created) throw duplicateName(name, result.existing);
    return flagged(result.person, new Map());
  }

  /** A new name for the person; one another person holds, also differing only in case, is 409 `duplicate_name`. */
  async rename(id: number, name: string, actor: string): Promise<PersonDto> {
    const before = await this.persons.findById(id);
    if (!before) throw personNotFound(id);
    const result = await this.persons.rename(id, name, {
      actor,
      action: 'person.renamed',
      target: `person:${id}`,
      details: { from: before.name, to: name },
    });
    if (!result) throw personNotFound(id);
    if (!result.renamed) throw duplicateName(name, result.existing);
    return flagged(result.person, await this.disagreements());
  }

  /**
   * Merges person `id` into `into`: enrolments, named faces and rejections move, `id` is deleted, the gallery
   * version moves so the re-match follows — one transaction with its audit row.
   */
  async merge(id: number, into: number, actor: string): Promise<PersonMergedDto> {
    if (id === into) throw new ApiError(HttpStatus.CONFLICT, `person ${id} cannot be merged into itself`, { code: 'merge_into_self' });
    const [source, target] = await Promise.all([this.persons.findById(id), this.persons.findById(into)]);
    if (!source) throw personNotFound(id);
    if (!target) throw new ApiError(HttpStatus.NOT_FOUND, `person ${into} (into) does not exist`, { code: 'person_not_found' });
    const audit = { actor, action: 'person.merged', target: `person:${id}`, details: { name: source.name, into, intoName: target.name } };
    // Either deleted meanwhile: PersistenceError('person_deleted'), 409, nothing changed.
    const merged = await this.persons.merge(id, into, audit);
    return {
      person: flagged(merged.person, await this.disagreements()),
      merged: merged.mergedPerson,
      movedEnrolments: merged.movedEnrolments,
      movedFaces: merged.movedFaces,
      galleryVersion: merged.galleryVersion,
    };
  }

  private async disagreements(): Promise<Map<number, EnrolmentDisagreement>> {
    return (await this.enrolments.snapshot()).disagreements();
  }

  /** Forgets the person: no descriptor enrolled for them remains; their faces are matched again without them. */
  async delete(id: number, actor: string): Promise<void> {
    if (!(await this.persons.delete(id, { actor, action: 'person.deleted', target: `person:${id}` }))) throw personNotFound(id);
  }
}

/** The person as the API shows it: with the flag of enrolments that disagree (the recipe's `enrolmentDisagreement` bound). */
function flagged(person: PersonView, disagreements: ReadonlyMap<number, EnrolmentDisagreement>): PersonDto {
  const disagreement = disagreements.get(person.id);
  return {
    ...person,
    enrolmentsDisagree: disagreement !== undefined,
    disagreement: disagreement
      ? { spread: Math.round(disagreement.spread * 1e4) / 1e4, outlierEnrolmentIds: disagreement.outlierEnrolmentIds }
      : null,
  };
}
