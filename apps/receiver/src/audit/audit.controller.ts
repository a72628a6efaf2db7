import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Scope } from '@visage/access';
import { AuditRepository, encodeImageCursor, keysetPage } from '@visage/persistence';
import { ValidQuery } from '@visage/validation';
import { ApiErrorBody } from '../common/api-error';
import { ImagePageQuery, imagePageQuery } from '../images/dto/list-images.dto';
import { AuditPageDto } from './dto/audit.dto';


@ApiTags('audit')
@ApiBearerAuth()
@Scope('admin')
@Controller('audit')
export class AuditController {
  constructor(private readonly audit: AuditRepository) {}

  @Get()
  @ApiOperation({ summary: 'Audit log, newest first, keyset paginated: keys created/revoked, persons created/deleted/enrolled, faces assigned/rejected, images deleted' })
  @ApiResponse({ status: 200, type: AuditPageDto })
  @ApiResponse({ status: 400, type: ApiErrorBody, description: 'Bad limit or cursor' })
  // Ordered by id descending like the image list, so it pages with the same `beforeId` cursor.
  async list(@ValidQuery(imagePageQuery) page: ImagePageQuery): Promise<AuditPageDto> {
    return keysetPage(await this.audit.list(page.limit + 1, page.cursor?.beforeId), page.limit, (last) => encodeImageCursor({ beforeId: last.id }));
  }
}
