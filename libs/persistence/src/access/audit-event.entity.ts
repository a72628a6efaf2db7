import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** Who did what to which biometric data or credential, and when: read by admins through `GET /audit`. */
@Entity({ name: 'audit_events' })
export class AuditEventEntity {
  @PrimaryGeneratedColumn()
  id!: number;

  @CreateDateColumn({ name: 'created_at', type: 'datetime', precision: 6 })
  createdAt!: Date;

  /** `key:<id>` for an API key (a dashboard session acts with its key), `cli`, `bootstrap` or `anonymous` (AUTH=off). */
  @Column({ type: 'varchar', length: 64 })
  actor!: string;

  /** e.g. `person.deleted`, `key.created`. */
  @Column({ type: 'varchar', length: 64 })
  action!: string;

  /** e.g. `person:5`, `image:12`, `key:3`. */
  @Column({ type: 'varchar', length: 64 })
  target!: string;

  /** Small JSON object with what else helps (a name, a count); never a key or a descriptor. */
  @Column({ type: 'text', nullable: true })
  details!: string | null;
}
