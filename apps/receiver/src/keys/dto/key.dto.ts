import { HttpStatus } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { API_SCOPES, ApiScope, isApiScope } from '@visage/access';
import { ApiError } from '../../common/api-error';
import { requireObject } from '../../common/body';

/** Matches the `api_keys.name` column. */
export const MAX_KEY_NAME_LENGTH = 100;

export class CreateKeyDto {
  @ApiProperty({ example: 'ci', maxLength: MAX_KEY_NAME_LENGTH }) name!: string;
  @ApiProperty({ enum: API_SCOPES, description: 'read ⊂ submit ⊂ admin' }) scope!: ApiScope;
}

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

/** `{"name": …, "scope": "read" | "submit" | "admin"}`. */
export function parseCreateKeyBody(body: unknown): { name: string; scope: ApiScope } {
  const object = requireObject(body, '{"name": "…", "scope": "read" | "submit" | "admin"}');
  const fail = (message: string, code: string): never => {
    throw new ApiError(HttpStatus.BAD_REQUEST, message, { code });
  };
  const name = typeof object.name === 'string' ? object.name.trim() : undefined;
  if (!name) return fail('name is required (a non-empty string)', 'name_required');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return fail('name must not contain control characters', 'name_invalid');
  if ([...name].length > MAX_KEY_NAME_LENGTH) return fail(`name must be at most ${MAX_KEY_NAME_LENGTH} characters`, 'name_too_long');
  if (!isApiScope(object.scope)) return fail(`scope must be one of ${API_SCOPES.join(', ')}`, 'scope_invalid');
  return { name, scope: object.scope };
}
