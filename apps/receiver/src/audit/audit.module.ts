import { Module } from '@nestjs/common';
import { AuditController } from './audit.controller';

/** AuditRepository comes from the global PersistenceModule; the features record their own events. */
@Module({ controllers: [AuditController] })
export class AuditModule {}
