import { HttpStatus, Injectable } from '@nestjs/common';
import { DashboardSessionRepository } from '@visage/persistence';
import { ApiError } from '../common/api-error';
import { SessionListDto } from './dto/session.dto';

/** The dashboard's server-side sessions, as admins see and end them. */
@Injectable()
export class SessionsService {
  constructor(private readonly sessions: DashboardSessionRepository) {}

  async list(): Promise<SessionListDto> {
    return { items: await this.sessions.listLive() };
  }

  /** Ends the session at once (audited); 404 `session_not_found` when there is none. */
  async end(id: number, actor: string): Promise<void> {
    const ended = await this.sessions.deleteById(id, { actor, action: 'session.deleted', target: `session:${id}` });
    if (!ended) throw new ApiError(HttpStatus.NOT_FOUND, `there is no session ${id}`, { code: 'session_not_found' });
  }
}
