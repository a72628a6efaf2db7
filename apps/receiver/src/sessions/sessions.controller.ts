import { Controller, Delete, Get, HttpCode, HttpStatus, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Scope } from '@visage/access';
import { Actor } from '@visage/auth';
import { ApiErrorBody } from '../common/api-error';
import { PositiveIdPipe } from '../common/positive-id.pipe';
import { SessionListDto } from './dto/session.dto';
import { SessionsService } from './sessions.service';

/** The dashboard's server-side sessions, for admins: who is signed in, and ending a session at once. */
@ApiTags('sessions')
@ApiBearerAuth()
@Scope('admin')
@Controller('sessions')
export class SessionsController {
  constructor(private readonly sessions: SessionsService) {}

  @Get()
  @ApiOperation({ summary: 'Dashboard sessions not past their absolute expiry, newest first (never the session token)' })
  @ApiResponse({ status: 200, type: SessionListDto })
  list(): Promise<SessionListDto> {
    return this.sessions.list();
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'End a dashboard session: its cookie (and every copy) is refused from the next request on' })
  @ApiResponse({ status: 204 })
  @ApiResponse({ status: 404, type: ApiErrorBody, description: 'No such session (session_not_found)' })
  end(@Param('id', PositiveIdPipe) id: number, @Actor() actor: string): Promise<void> {
    return this.sessions.end(id, actor);
  }
}
