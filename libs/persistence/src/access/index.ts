export * from './api-key.entity';
export * from './dashboard-session.entity';
export * from './audit-event.entity';
export * from './api-key.repository';
export * from './audit.repository';
export * from './dashboard-session.repository';
