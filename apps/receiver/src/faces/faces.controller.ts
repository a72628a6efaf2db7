import { Controller, Get, Headers, HttpCode, HttpStatus, Param, Post, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { ServerResponse } from 'node:http';
import { Scope } from '@visage/access';
import { ValidBody } from '@visage/validation';
import { Actor } from '@visage/auth';
import { ApiErrorBody } from '../common/api-error';
import { PositiveIdPipe } from '../common/positive-id.pipe';
import { AssignBody, assignBody, FaceAssignmentDto, FaceRejectionDto } from './dto/face.dto';
import { FacesService } from './faces.service';

@ApiTags('faces')
@ApiBearerAuth()
@Controller('faces')
export class FacesController {
  constructor(private readonly faces: FacesService) {}

  @Post(':id/assign')
  @Scope('admin')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary:
      '"This is …": enrol the face for a person (existing, or created by name); re-matching names it on every image. ' +
      'A face named after someone else moves (audited face.moved). A face that does not fit the person must be confirmed',
  })
  @ApiResponse({ status: 200, type: FaceAssignmentDto })
  @ApiResponse({ status: 400, type: ApiErrorBody, description: 'Bad id; empty, non-string or too long name; bad personId; both given; bad confirm' })
  @ApiResponse({ status: 404, type: ApiErrorBody, description: 'No such face (face_not_found) or person (person_not_found)' })
  @ApiResponse({
    status: 409,
    type: ApiErrorBody,
    description:
      'The face does not fit the person, with the reasons in `faces` (faces_need_confirmation: nothing enrolled); face stored without descriptor; in an ignored group; person deleted meanwhile; a new name differing only in case from an existing person (duplicate_name, `id` = that person)',
  })
  assign(@Param('id', PositiveIdPipe) id: number, @ValidBody(assignBody) body: AssignBody, @Actor() actor: string): Promise<FaceAssignmentDto> {
    return this.faces.assign(id, body, actor);
  }

  @Post(':id/reject')
  @Scope('admin')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: '"Not <name>": the face is never again given to the person it is named after, across re-matches' })
  @ApiResponse({ status: 200, type: FaceRejectionDto })
  @ApiResponse({ status: 400, type: ApiErrorBody })
  @ApiResponse({ status: 404, type: ApiErrorBody, description: 'No such face' })
  @ApiResponse({ status: 409, type: ApiErrorBody, description: 'The face names nobody (face_not_named) or changed meanwhile (face_changed)' })
  reject(@Param('id', PositiveIdPipe) id: number, @Actor() actor: string): Promise<FaceRejectionDto> {
    return this.faces.reject(id, actor);
  }

  @Get(':id/crop')
  @Scope('read')
  @ApiOperation({ summary: 'The face cut from its image by the stored box (160×160 WebP, ETag)' })
  @ApiProduces('image/webp')
  @ApiResponse({ status: 200, description: 'WebP image' })
  @ApiResponse({ status: 304, description: 'Not modified (If-None-Match)' })
  @ApiResponse({ status: 404, type: ApiErrorBody, description: 'No such face, or its image is gone' })
  @ApiResponse({ status: 422, type: ApiErrorBody, description: 'The image cannot be decoded or the box lies outside it' })
  async crop(
    @Param('id', PositiveIdPipe) id: number,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res() response: ServerResponse,
  ): Promise<void> {
    const crop = await this.faces.crop(id, ifNoneMatch);
    response.setHeader('ETag', crop.etag);
    // Private: crops show people's faces. Short max-age, then a cheap revalidation by ETag.
    response.setHeader('Cache-Control', 'private, max-age=300');
    if (crop.kind === 'not-modified') {
      response.statusCode = HttpStatus.NOT_MODIFIED;
      response.end();
      return;
    }
    response.setHeader('Content-Type', 'image/webp');
    response.end(crop.body);
  }
}
