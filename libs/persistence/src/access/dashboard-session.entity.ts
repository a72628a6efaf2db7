import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { ApiKeyEntity } from './api-key.entity';

/**
 * A dashboard session. The cookie carries a random session token; only its sha256 is stored, so a copy of the
 * table opens no session. Deleting the row (logout, revoking the key, an admin) ends the session at once, cookie
 * copies included; a session also ends when idle too long or past its absolute expiry.
 */
@Entity({ name: 'dashboard_sessions' })
export class DashboardSessionEntity {
  @PrimaryGeneratedColumn()
  id!: number;

  /** Hex sha256 of the cookie's session token. */
  @Index('uq_dashboard_sessions_token', { unique: true })
  @Column({ name: 'token_hash', type: 'varchar', length: 64 })
  tokenHash!: string;

  @Index('idx_dashboard_sessions_key')
  @Column({ name: 'key_id', type: 'int' })
  keyId!: number;

  @ManyToOne(() => ApiKeyEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'key_id', foreignKeyConstraintName: 'fk_dashboard_sessions_key' })
  key?: ApiKeyEntity;

  @CreateDateColumn({ name: 'created_at', type: 'datetime', precision: 6 })
  createdAt!: Date;

  /** Last request seen (written at most once a minute): the idle expiry counts from it. */
  @Column({ name: 'last_seen_at', type: 'datetime', precision: 6 })
  lastSeenAt!: Date;

  /** Absolute end, whatever the activity. */
  @Column({ name: 'expires_at', type: 'datetime', precision: 6 })
  expiresAt!: Date;

  @Column({ name: 'user_agent', type: 'varchar', length: 255, nullable: true })
  userAgent!: string | null;
}
