import { Injectable } from '@nestjs/common';
import { AuditCursor, auditCursorAfter, AuditRepository, keysetPage } from '@visage/persistence';
import { AuditPageDto } from './dto/audit.dto';

/** The audit log as admins read it; the features write their own rows, in the transaction of their change. */
@Injectable()
export class AuditService {
  constructor(private readonly audit: AuditRepository) {}

  /** Newest first by id, paged with the audit log's own keyset cursor. */
  async list(limit: number, cursor?: AuditCursor): Promise<AuditPageDto> {
    return keysetPage(await this.audit.list(limit + 1, cursor), limit, auditCursorAfter);
  }
}
