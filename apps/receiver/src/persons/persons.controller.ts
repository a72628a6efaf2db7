import { Controller, Delete, Get, HttpCode, HttpStatus, Param, Patch, Post, Req } from '@nestjs/common';
import { IncomingMessage } from 'node:http';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Scope } from '@visage/access';
import { Actor } from '@visage/auth';
import { ApiErrorBody } from '../common/api-error';
import { PositiveIdPipe } from '../common/positive-id.pipe';
import { ImagePathBody, imagePathBody } from '../images/dto/post-image.dto';
import { ImagePageDto, ImagePageQuery, imagePageQuery } from '../images/dto/list-images.dto';
import { CreatePersonBody, createPersonBody, EnrolledFaceDto, mergeBody, PersonDto, PersonListDto, PersonMergedDto } from './dto/person.dto';
import { SchemaPipe, ValidBody, ValidQuery } from '@visage/validation';
import { PersonsService } from './persons.service';
import { ApiUploadBody } from '../uploads/upload-body';
import { isUploadRequest } from '../uploads/upload-receiver';

/**
 * `POST /persons/:id/faces` takes JSON `{"path"}` or an upload, whose body is left unread for the handler (so
 * `body` is undefined): the schema lets that through, and a JSON request without a body is then refused by the
 * strict one, as any other route refuses it.
 */
const pathOrUpload = imagePathBody.optional();
const strictPath = new SchemaPipe(imagePathBody, 'body');

@ApiTags('persons')
@ApiBearerAuth()
@Controller('persons')
export class PersonsController {
  constructor(private readonly persons: PersonsService) {}

  @Get()
  @Scope('read')
  @ApiOperation({ summary: 'Known people, by name, with face counts; flagged when their enrolments disagree (enrolmentsDisagree)' })
  @ApiResponse({ status: 200, type: PersonListDto })
  async list(): Promise<PersonListDto> {
    return { items: await this.persons.list() };
  }

  @Post()
  @Scope('admin')
  @ApiOperation({ summary: 'Create a person (enrol faces with POST /persons/:id/faces)' })
  @ApiResponse({ status: 201, type: PersonDto })
  @ApiResponse({ status: 400, type: ApiErrorBody, description: 'Missing, empty, non-string or too long name; malformed JSON' })
  @ApiResponse({
    status: 409,
    type: ApiErrorBody,
    description: 'Name taken, also when it differs only in case (duplicate_name); `id` is the existing person',
  })
  @ApiResponse({ status: 413, type: ApiErrorBody })
  @ApiResponse({ status: 415, type: ApiErrorBody })
  create(@ValidBody(createPersonBody) body: CreatePersonBody, @Actor() actor: string): Promise<PersonDto> {
    return this.persons.create(body.name, actor);
  }

  @Get(':id')
  @Scope('read')
  @ApiOperation({ summary: 'One person with face counts' })
  @ApiResponse({ status: 200, type: PersonDto })
  @ApiResponse({ status: 400, type: ApiErrorBody })
  @ApiResponse({ status: 404, type: ApiErrorBody })
  get(@Param('id', PositiveIdPipe) id: number): Promise<PersonDto> {
    return this.persons.get(id);
  }

  @Patch(':id')
  @Scope('admin')
  @ApiOperation({ summary: 'Rename a person (names are unique ignoring case; changing the case of the own name is a rename)' })
  @ApiResponse({ status: 200, type: PersonDto })
  @ApiResponse({ status: 400, type: ApiErrorBody, description: 'Bad id; missing, empty, non-string or too long name; malformed JSON' })
  @ApiResponse({ status: 404, type: ApiErrorBody, description: 'No such person (person_not_found)' })
  @ApiResponse({
    status: 409,
    type: ApiErrorBody,
    description: 'Another person has this name, also differing only in case (duplicate_name); `id` is that person',
  })
  rename(@Param('id', PositiveIdPipe) id: number, @ValidBody(createPersonBody) body: CreatePersonBody, @Actor() actor: string): Promise<PersonDto> {
    return this.persons.rename(id, body.name, actor);
  }

  @Get(':id/images')
  @Scope('read')
  @ApiOperation({ summary: 'Images where this person appears, newest first, with keyset pagination' })
  @ApiResponse({ status: 200, type: ImagePageDto })
  @ApiResponse({ status: 400, type: ApiErrorBody, description: 'Bad id, limit or cursor' })
  @ApiResponse({ status: 404, type: ApiErrorBody, description: 'No such person' })
  images(@Param('id', PositiveIdPipe) id: number, @ValidQuery(imagePageQuery) page: ImagePageQuery): Promise<ImagePageDto> {
    return this.persons.imagesOf(id, page);
  }

  @Post(':id/faces')
  @Scope('admin')
  @ApiOperation({
    summary: 'Enrol a known face of this person (its only face, or the clearly dominant one): from a path under IMAGES_ROOT, or an uploaded picture',
    description:
      'JSON `{"path"}` names a file under IMAGES_ROOT; a multipart `file` part or an image/* body uploads the picture, ' +
      'stored by its sha256 under `uploads/` as `POST /images` stores it (same checks: 413, 415, 422 `empty_file`).',
  })
  @ApiUploadBody(1)
  @ApiResponse({ status: 201, type: EnrolledFaceDto })
  @ApiResponse({
    status: 400,
    type: ApiErrorBody,
    description: 'Bad id, missing/empty/non-string path, malformed JSON, no file part or more than one',
  })
  @ApiResponse({ status: 404, type: ApiErrorBody, description: 'No such person' })
  @ApiResponse({
    status: 409,
    type: ApiErrorBody,
    description: 'The person was deleted while the face was analysed (person_deleted); nothing enrolled',
  })
  @ApiResponse({ status: 413, type: ApiErrorBody, description: 'Upload larger than MAX_UPLOAD_BYTES' })
  @ApiResponse({ status: 415, type: ApiErrorBody, description: 'Not JSON, multipart or image/*; an upload that is not a supported image' })
  @ApiResponse({
    status: 422,
    type: ApiErrorBody,
    description: 'Path outside the root, missing, not a file, too large; no face, several faces, not an image',
  })
  @ApiResponse({ status: 503, type: ApiErrorBody, description: 'Recognizer unavailable; retry later' })
  async enrolFace(
    @Param('id', PositiveIdPipe) id: number,
    @Req() request: IncomingMessage,
    @ValidBody(pathOrUpload) body: ImagePathBody | undefined,
    @Actor() actor: string,
  ): Promise<EnrolledFaceDto> {
    const path = isUploadRequest(request) ? await this.persons.receivePhoto(request) : strictPath.transform(body).path;
    const enrolled = await this.persons.enrolFace(id, path, actor);
    return {
      id: enrolled.personImageId,
      personId: enrolled.personId,
      personName: enrolled.personName,
      path: enrolled.path,
      facesInPhoto: enrolled.facesInPhoto,
      ...(enrolled.note ? { note: enrolled.note } : {}),
    };
  }

  @Post(':id/merge')
  @Scope('admin')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary:
      'Merge this person into another: enrolments, named faces and "Not <name>" corrections move, this person is deleted; ' +
      'the gallery version moves, so the re-match names their images after the person that remains',
  })
  @ApiResponse({ status: 200, type: PersonMergedDto })
  @ApiResponse({
    status: 400,
    type: ApiErrorBody,
    description: 'Bad id; into missing (into_required) or not a person id (invalid_into); malformed JSON',
  })
  @ApiResponse({ status: 404, type: ApiErrorBody, description: 'No such person, this one or into (person_not_found)' })
  @ApiResponse({
    status: 409,
    type: ApiErrorBody,
    description: 'Merging a person into itself (merge_into_self); a person deleted meanwhile (person_deleted)',
  })
  merge(@Param('id', PositiveIdPipe) id: number, @ValidBody(mergeBody) body: { into: number }, @Actor() actor: string): Promise<PersonMergedDto> {
    return this.persons.merge(id, body.into, actor);
  }

  @Delete(':id')
  @Scope('admin')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Forget a person: every enrolled descriptor of theirs is deleted, their faces become unknown and are matched again' })
  @ApiResponse({ status: 204 })
  @ApiResponse({ status: 400, type: ApiErrorBody })
  @ApiResponse({ status: 404, type: ApiErrorBody })
  delete(@Param('id', PositiveIdPipe) id: number, @Actor() actor: string): Promise<void> {
    return this.persons.delete(id, actor);
  }
}
