import { Module } from '@nestjs/common';
import { SessionsController } from './sessions.controller';
import { SessionsService } from './sessions.service';

/** DashboardSessionRepository comes from the global PersistenceModule. */
@Module({ controllers: [SessionsController], providers: [SessionsService] })
export class SessionsModule {}
