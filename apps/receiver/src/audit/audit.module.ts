import { Module } from '@nestjs/common';
import { AuditController } from './audit.controller';
import { AuditService } from './audit.service';

/** AuditRepository comes from the global PersistenceModule; the features record their own events. */
@Module({ controllers: [AuditController], providers: [AuditService] })
export class AuditModule {}
