import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ApiScope, isApiScope } from '@visage/access';
import { ConfigService } from '@visage/config';
import { ApiKeyRepository, ApiKeyView, AuditRecord, DatabaseLock, LockRepository } from '@visage/persistence';
import { generateApiKey, hashApiKey } from './api-key';
import { Principal } from './principal';

export interface CreatedApiKey {
  id: number;
  name: string;
  scope: ApiScope;
  /** The key itself: shown once, never stored. */
  key: string;
}

/** Name of the key stored from ADMIN_API_KEY. */
export const CONFIGURED_ADMIN_KEY_NAME = 'ADMIN_API_KEY';
/** Name of the admin key generated on a database without one. */
export const GENERATED_ADMIN_KEY_NAME = 'generated admin';

/** The audit row of a new key (written in the key's own transaction). */
function keyCreated(actor: string, name: string, scope: string): (keyId: number) => AuditRecord {
  return (keyId) => ({ actor, action: 'key.created', target: `key:${keyId}`, details: { name, scope } });
}

/**
 * API keys: create (random, hash stored), authenticate (one indexed lookup; a revoked key fails at once),
 * list, revoke. At start it makes sure an admin key exists (ADMIN_API_KEY, or a generated one logged once)
 * and warns when AUTH=off.
 */
@Injectable()
export class ApiKeyService implements OnApplicationBootstrap {
  private readonly logger = new Logger('Auth');

  constructor(
    private readonly keys: ApiKeyRepository,
    private readonly locks: LockRepository,
    private readonly config: ConfigService,
  ) {}

  get enabled(): boolean {
    return this.config.get('AUTH') === 'on';
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.enabled) {
      this.logger.warn('AUTH=off: every route of this app is open to anyone who can reach it. Only for local experiments; remove AUTH=off to require keys.');
    }
    await this.ensureAdminKey();
  }

  /** The principal of a presented key, or undefined (unknown or revoked: the caller cannot tell which). */
  async authenticate(key: string): Promise<Principal | undefined> {
    const found = await this.keys.findActiveByHash(hashApiKey(key));
    if (!found || !isApiScope(found.scope)) return undefined;
    await this.keys.touch(found.id);
    return { keyId: found.id, keyName: found.name, scope: found.scope };
  }

  async create(name: string, scope: ApiScope, actor: string): Promise<CreatedApiKey> {
    for (;;) {
      const key = generateApiKey();
      const created = await this.keys.create(name, scope, hashApiKey(key), keyCreated(actor, name, scope));
      if (!created) continue; // the same 256-bit key twice: draw again
      return { id: created.id, name, scope, key };
    }
  }

  list(): Promise<ApiKeyView[]> {
    return this.keys.list();
  }

  /** False when there is no such active key. */
  async revoke(id: number, actor: string): Promise<boolean> {
    return this.keys.revoke(id, { actor, action: 'key.revoked', target: `key:${id}` });
  }

  /**
   * ADMIN_API_KEY, when set, is stored (its hash) unless it already is; otherwise, on a database without an
   * active admin key, one is generated and logged once. Under a lock: replicas starting together generate one.
   */
  private async ensureAdminKey(): Promise<void> {
    const configured = this.config.get('ADMIN_API_KEY');
    await this.locks.withLock(DatabaseLock.ApiKeyBootstrap, async () => {
      if (configured) {
        const hash = hashApiKey(configured);
        if (await this.keys.findActiveByHash(hash)) return;
        const created = await this.keys.create(CONFIGURED_ADMIN_KEY_NAME, 'admin', hash, keyCreated('bootstrap', CONFIGURED_ADMIN_KEY_NAME, 'admin'));
        if (!created) this.logger.warn('ADMIN_API_KEY was revoked and stays revoked: set a new one, or create an admin key with `npm run keys`.');
        return;
      }
      if ((await this.keys.countActive('admin')) > 0) return;
      const generated = await this.create(GENERATED_ADMIN_KEY_NAME, 'admin', 'bootstrap');
      this.logger.warn(
        `No admin API key existed: generated one (key id ${generated.id}). It is shown this once; store it now and use it as ` +
          `"Authorization: Bearer <key>" or to sign in to the dashboard: ${generated.key}`,
      );
    });
  }
}
