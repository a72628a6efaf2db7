import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { API_SCOPES, ApiScope } from '@visage/access';
import { keyName } from '@visage/validation';
import { z } from 'zod';

export class CreatedKeyDto {
  @ApiProperty({ example: 4 }) id!: number;
  @ApiProperty({ example: 'ci' }) name!: string;
  @ApiProperty({ enum: API_SCOPES }) scope!: ApiScope;
  @ApiProperty({ example: 'vsk_…', description: 'The key: shown this once, only its hash is stored' }) key!: string;
}

export class KeyDto {
  @ApiProperty({ example: 4 }) id!: number;
  @ApiProperty({ example: 'ci' }) name!: string;
  @ApiProperty({ enum: API_SCOPES }) scope!: string;
  @ApiProperty() createdAt!: Date;
  @ApiPropertyOptional({ nullable: true, type: Date, description: 'Last authenticated use (to the minute)' }) lastUsedAt!: Date | null;
  @ApiPropertyOptional({ nullable: true, type: Date, description: 'Set once revoked: the key no longer authenticates' }) revokedAt!: Date | null;
}

export class KeyListDto {
  @ApiProperty({ type: [KeyDto] }) items!: KeyDto[];
}

/** `{"name": …, "scope": "read" | "submit" | "admin"}`: the name rules of POST /persons, within the column's 100. */
export const createKeyBody = z.object({
  name: keyName,
  scope: z.enum(API_SCOPES).meta({ description: 'read ⊂ submit ⊂ admin' }),
});
export type CreateKeyBody = z.output<typeof createKeyBody>;
