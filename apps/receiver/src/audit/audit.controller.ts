import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Scope } from '@visage/access';
import { ValidQuery } from '@visage/validation';
import { ApiErrorBody } from '../common/api-error';
import { AuditService } from './audit.service';
import { AuditPageDto, AuditPageQuery, auditPageQuery } from './dto/audit.dto';

@ApiTags('audit')
@ApiBearerAuth()
@Scope('admin')
@Controller('audit')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @ApiOperation({
    summary:
      'Audit log, newest first, keyset paginated: keys created/revoked, persons created/deleted/enrolled/merged, faces assigned/moved/rejected, ' +
      'groups ignored, faces removed from groups, images deleted, sessions ended',
  })
  @ApiResponse({ status: 200, type: AuditPageDto })
  @ApiResponse({ status: 400, type: ApiErrorBody, description: 'Bad limit or cursor' })
  list(@ValidQuery(auditPageQuery) page: AuditPageQuery): Promise<AuditPageDto> {
    return this.audit.list(page.limit, page.cursor);
  }
}
