import { Controller, Delete, Get, HttpCode, HttpStatus, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { decodeClusterCursor } from '@visage/persistence';
import { Scope } from '@visage/access';
import { keysetPageQuery, ValidBody, ValidQuery } from '@visage/validation';
import { z } from 'zod';
import { Actor } from '@visage/auth';
import { ApiErrorBody } from '../common/api-error';
import { PositiveIdPipe } from '../common/positive-id.pipe';
import { NameClusterBody, nameClusterBody } from '../faces/dto/face.dto';
import { ClustersService } from './clusters.service';
import { ClusterDetailDto, ClusterNamedDto, ClusterPageDto, ClusterSummaryDto } from './dto/cluster.dto';

const clusterPageQuery = keysetPageQuery(decodeClusterCursor);

@ApiTags('clusters')
@ApiBearerAuth()
@Controller('clusters')
export class ClustersController {
  constructor(private readonly clusters: ClustersService) {}

  @Get()
  @Scope('read')
  @ApiOperation({
    summary: 'Unknown people: groups of unknown faces, most cohesive first (groups of one face last; ignored groups left out), keyset paginated',
  })
  @ApiResponse({ status: 200, type: ClusterPageDto })
  @ApiResponse({ status: 400, type: ApiErrorBody, description: 'Bad limit or cursor' })
  list(@ValidQuery(clusterPageQuery) page: z.output<typeof clusterPageQuery>): Promise<ClusterPageDto> {
    return this.clusters.list(page.limit, page.cursor);
  }

  @Get(':id')
  @Scope('read')
  @ApiOperation({ summary: 'One group with its faces (ignored or not)' })
  @ApiResponse({ status: 200, type: ClusterDetailDto })
  @ApiResponse({ status: 400, type: ApiErrorBody })
  @ApiResponse({ status: 404, type: ApiErrorBody, description: 'No such group (cluster_not_found)' })
  get(@Param('id', PositiveIdPipe) id: number): Promise<ClusterDetailDto> {
    return this.clusters.get(id);
  }

  @Post(':id/name')
  @Scope('admin')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary:
      '"Name this person": every face of the group is enrolled for the person; re-matching names them on every image. ' +
      'Faces that do not fit (far from the others or the person, nearer another known person) must be confirmed or left out',
  })
  @ApiResponse({ status: 200, type: ClusterNamedDto })
  @ApiResponse({
    status: 400,
    type: ApiErrorBody,
    description:
      'Bad id; empty, non-string or too long name; bad personId; both given; bad confirm or leaveOut (invalid_confirm, invalid_leave_out); every face left out (all_faces_left_out)',
  })
  @ApiResponse({ status: 404, type: ApiErrorBody, description: 'No such group (cluster_not_found) or person (person_not_found)' })
  @ApiResponse({
    status: 409,
    type: ApiErrorBody,
    description:
      'Faces that do not fit, with their ids and reasons in `faces` (faces_need_confirmation: nothing enrolled); the group is ignored (cluster_ignored); the person was deleted meanwhile (person_deleted); a new name differing only in case from an existing person (duplicate_name, `id` = that person)',
  })
  name(@Param('id', PositiveIdPipe) id: number, @ValidBody(nameClusterBody) body: NameClusterBody, @Actor() actor: string): Promise<ClusterNamedDto> {
    return this.clusters.name(id, body, actor);
  }

  @Post(':id/ignore')
  @Scope('admin')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: '"Ignore": never suggested again; faces like it join it instead of forming a new group (audited cluster.ignored)' })
  @ApiResponse({ status: 200, type: ClusterSummaryDto })
  @ApiResponse({ status: 404, type: ApiErrorBody })
  ignore(@Param('id', PositiveIdPipe) id: number, @Actor() actor: string): Promise<ClusterSummaryDto> {
    return this.clusters.ignore(id, actor);
  }

  @Delete(':id/faces/:faceId')
  @Scope('admin')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({
    summary: '"Not the same person": the face leaves the group and never joins it again (it may be grouped elsewhere; audited cluster.face_removed)',
  })
  @ApiResponse({ status: 204 })
  @ApiResponse({ status: 400, type: ApiErrorBody })
  @ApiResponse({ status: 404, type: ApiErrorBody, description: 'No such group (cluster_not_found) or the face is not in it (face_not_in_cluster)' })
  removeFace(@Param('id', PositiveIdPipe) id: number, @Param('faceId', PositiveIdPipe) faceId: number, @Actor() actor: string): Promise<void> {
    return this.clusters.removeFace(id, faceId, actor);
  }
}
