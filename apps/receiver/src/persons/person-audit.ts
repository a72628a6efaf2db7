import { AuditRecord } from '@visage/persistence';

/**
 * The audit row of a person created by name: by `POST /persons`, or by naming a face or a group after a new name
 * (written only when that transaction creates the person). Its details go when the person is forgotten.
 */
export function personCreatedAudit(actor: string, name: string): (personId: number) => AuditRecord {
  return (personId) => ({ actor, action: 'person.created', target: `person:${personId}`, details: { name } });
}
