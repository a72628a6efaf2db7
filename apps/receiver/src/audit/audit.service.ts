import { Injectable } from '@nestjs/common';
import { AuditRepository, encodeImageCursor, ImageCursor, keysetPage } from '@visage/persistence';
import { AuditPageDto } from './dto/audit.dto';

/** The audit log as admins read it; the features write their own rows, in the transaction of their change. */
@Injectable()
export class AuditService {
  constructor(private readonly audit: AuditRepository) {}

  /** Newest first by id, so it pages with the image list's `beforeId` cursor. */
  async list(limit: number, cursor?: ImageCursor): Promise<AuditPageDto> {
    return keysetPage(await this.audit.list(limit + 1, cursor?.beforeId), limit, (last) => encodeImageCursor({ beforeId: last.id }));
  }
}
