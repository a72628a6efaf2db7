import { Module } from '@nestjs/common';
import { SessionsController } from './sessions.controller';

/** DashboardSessionRepository comes from the global PersistenceModule. */
@Module({ controllers: [SessionsController] })
export class SessionsModule {}
