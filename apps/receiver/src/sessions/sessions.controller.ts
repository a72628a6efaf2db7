import { Controller, Delete, Get, HttpCode, HttpStatus, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Scope } from '@visage/access';
import { Actor } from '@visage/auth';
import { DashboardSessionRepository } from '@visage/persistence';
import { ApiError, ApiErrorBody } from '../common/api-error';
import { PositiveIdPipe } from '../common/positive-id.pipe';
import { SessionListDto } from './dto/session.dto';

/** The dashboard's server-side sessions, for admins: who is signed in, and ending a session at once. */
@ApiTags('sessions')
@ApiBearerAuth()
@Scope('admin')
@Controller('sessions')
export class SessionsController {
  constructor(private readonly sessions: DashboardSessionRepository) {}

  @Get()
  @ApiOperation({ summary: 'Dashboard sessions not past their absolute expiry, newest first (never the session token)' })
  @ApiResponse({ status: 200, type: SessionListDto })
  async list(): Promise<SessionListDto> {
    return { items: await this.sessions.listLive() };
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'End a dashboard session: its cookie (and every copy) is refused from the next request on' })
  @ApiResponse({ status: 204 })
  @ApiResponse({ status: 404, type: ApiErrorBody, description: 'No such session (session_not_found)' })
  async end(@Param('id', PositiveIdPipe) id: number, @Actor() actor: string): Promise<void> {
    const ended = await this.sessions.deleteById(id, { actor, action: 'session.deleted', target: `session:${id}` });
    if (!ended) throw new ApiError(HttpStatus.NOT_FOUND, `there is no session ${id}`, { code: 'session_not_found' });
  }
}
