import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { decodeAuditCursor } from '@visage/persistence';
import { keysetPageQuery } from '@visage/validation';
import { z } from 'zod';

/** `?limit=&cursor=` of GET /audit. */
export const auditPageQuery = keysetPageQuery(decodeAuditCursor);
export type AuditPageQuery = z.output<typeof auditPageQuery>;

export class AuditEventDto {
  @ApiProperty({ example: 31 }) id!: number;
  @ApiProperty() at!: Date;
  @ApiProperty({ example: 'key:2', description: '`key:<id>`, `cli`, `bootstrap`, or `anonymous` (AUTH=off)' }) actor!: string;
  @ApiProperty({ example: 'person.deleted' }) action!: string;
  @ApiProperty({ example: 'person:5' }) target!: string;
  @ApiPropertyOptional({ nullable: true, type: Object, example: { name: 'Ada' } }) details!: Record<string, unknown> | null;
}

export class AuditPageDto {
  @ApiProperty({ type: [AuditEventDto] }) items!: AuditEventDto[];
  @ApiPropertyOptional({ nullable: true, type: String, description: 'Pass as `cursor` for the next (older) page; null at the end' }) nextCursor!:
    string | null;
}
