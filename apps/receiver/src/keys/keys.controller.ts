import { Controller, Delete, Get, HttpCode, HttpStatus, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Scope } from '@visage/access';
import { ValidBody } from '@visage/validation';
import { Actor, ApiKeyService } from '@visage/auth';
import { ApiError, ApiErrorBody } from '../common/api-error';
import { PositiveIdPipe } from '../common/positive-id.pipe';
import { CreatedKeyDto, CreateKeyBody, createKeyBody, KeyListDto } from './dto/key.dto';

@ApiTags('keys')
@ApiBearerAuth()
@Scope('admin')
@Controller('keys')
export class KeysController {
  constructor(private readonly keys: ApiKeyService) {}

  @Post()
  @ApiOperation({ summary: 'Create an API key; the key is in this answer only (the database keeps its sha256)' })
  @ApiResponse({ status: 201, type: CreatedKeyDto })
  @ApiResponse({ status: 400, type: ApiErrorBody, description: 'Missing or too long name, unknown scope' })
  create(@ValidBody(createKeyBody) body: CreateKeyBody, @Actor() actor: string): Promise<CreatedKeyDto> {
    return this.keys.create(body.name, body.scope, actor);
  }

  @Get()
  @ApiOperation({ summary: 'Every key (never the key itself), newest first, revoked ones included' })
  @ApiResponse({ status: 200, type: KeyListDto })
  async list(): Promise<KeyListDto> {
    return { items: await this.keys.list() };
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Revoke a key: it is refused from the next request on' })
  @ApiResponse({ status: 204 })
  @ApiResponse({ status: 404, type: ApiErrorBody, description: 'No such key, or already revoked (key_not_found)' })
  async revoke(@Param('id', PositiveIdPipe) id: number, @Actor() actor: string): Promise<void> {
    if (!(await this.keys.revoke(id, actor))) throw new ApiError(HttpStatus.NOT_FOUND, `there is no active key ${id}`, { code: 'key_not_found' });
  }
}
