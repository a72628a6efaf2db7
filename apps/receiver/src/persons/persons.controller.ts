import { Controller, Delete, Get, HttpCode, HttpStatus, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Scope } from '@visage/access';
import { Actor } from '@visage/auth';
import { ApiErrorBody } from '../common/api-error';
import { PositiveIdPipe } from '../common/positive-id.pipe';
import { ImagePathBody, imagePathBody } from '../images/dto/post-image.dto';
import { ImagePageDto, ImagePageQuery, imagePageQuery } from '../images/dto/list-images.dto';
import { CreatePersonBody, createPersonBody, EnrolledFaceDto, PersonDto, PersonListDto } from './dto/person.dto';
import { ValidBody, ValidQuery } from '@visage/validation';
import { PersonsService } from './persons.service';

@ApiTags('persons')
@ApiBearerAuth()
@Controller('persons')
export class PersonsController {
  constructor(private readonly persons: PersonsService) {}

  @Get()
  @Scope('read')
  @ApiOperation({ summary: 'Known people, by name, with face counts' })
  @ApiResponse({ status: 200, type: PersonListDto })
  async list(): Promise<PersonListDto> {
    return { items: await this.persons.list() };
  }

  @Post()
  @Scope('admin')
  @ApiOperation({ summary: 'Create a person (enrol faces with POST /persons/:id/faces)' })
  @ApiResponse({ status: 201, type: PersonDto })
  @ApiResponse({ status: 400, type: ApiErrorBody, description: 'Missing, empty, non-string or too long name; malformed JSON' })
  @ApiResponse({ status: 409, type: ApiErrorBody, description: 'Name taken; `id` is the existing person' })
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
  @ApiOperation({ summary: 'Enrol a known face of this person from an image under IMAGES_ROOT (exactly one face)' })
  @ApiResponse({ status: 201, type: EnrolledFaceDto })
  @ApiResponse({ status: 400, type: ApiErrorBody, description: 'Bad id, missing/empty/non-string path, malformed JSON' })
  @ApiResponse({ status: 404, type: ApiErrorBody, description: 'No such person' })
  @ApiResponse({ status: 422, type: ApiErrorBody, description: 'Path outside the root, missing, not a file, too large; no face, several faces, not an image' })
  @ApiResponse({ status: 503, type: ApiErrorBody, description: 'Recognizer unavailable; retry later' })
  async enrolFace(
    @Param('id', PositiveIdPipe) id: number,
    @ValidBody(imagePathBody) body: ImagePathBody,
    @Actor() actor: string,
  ): Promise<EnrolledFaceDto> {
    const enrolled = await this.persons.enrolFace(id, body.path, actor);
    return {
      id: enrolled.personImageId,
      personId: enrolled.personId,
      personName: enrolled.personName,
      path: enrolled.path,
      facesInPhoto: enrolled.facesInPhoto,
      ...(enrolled.note ? { note: enrolled.note } : {}),
    };
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
