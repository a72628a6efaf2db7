import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Scope } from '@visage/access';
import { AuditRepository, decodeImageCursor, encodeImageCursor, ImageCursor, keysetPage } from '@visage/persistence';
import { ApiErrorBody } from '../common/api-error';
import { ParseWith } from '../common/parse-with.pipe';
import { MAX_PAGE_SIZE, parseKeysetPage } from '../images/dto/list-images.dto';
import { AuditPageDto } from './dto/audit.dto';

/** The audit log is ordered by id descending like the image list, so it pages with the same `beforeId` cursor. */
const parseAuditPage = (raw: unknown) => parseKeysetPage(raw, decodeImageCursor);

@ApiTags('audit')
@ApiBearerAuth()
@Scope('admin')
@Controller('audit')
export class AuditController {
  constructor(private readonly audit: AuditRepository) {}

  @Get()
  @ApiOperation({ summary: 'Audit log, newest first, keyset paginated: keys created/revoked, persons created/deleted/enrolled, faces assigned/rejected, images deleted' })
  @ApiQuery({ name: 'limit', required: false, schema: { type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE, default: 50 } })
  @ApiQuery({ name: 'cursor', required: false, description: 'nextCursor of the previous page' })
  @ApiResponse({ status: 200, type: AuditPageDto })
  @ApiResponse({ status: 400, type: ApiErrorBody, description: 'Bad limit or cursor' })
  async list(@Query(new ParseWith(parseAuditPage)) page: { limit: number; cursor?: ImageCursor }): Promise<AuditPageDto> {
    return keysetPage(await this.audit.list(page.limit + 1, page.cursor?.beforeId), page.limit, (last) => encodeImageCursor({ beforeId: last.id }));
  }
}
