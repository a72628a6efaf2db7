import { Injectable } from '@nestjs/common';
import { ApiScope, isApiScope } from '@visage/access';
import { ConfigService } from '@visage/config';
import { ApiKeyRepository, ApiKeyView, AuditRecord } from '@visage/persistence';
import { generateApiKey, hashApiKey } from './api-key';
import { Principal } from './principal';

export interface CreatedApiKey {
  id: number;
  name: string;
  scope: ApiScope;
  /** The key itself: shown once, never stored. */
  key: string;
}

/** The audit row of a new key (written in the key's own transaction). */
export function keyCreated(actor: string, name: string, scope: string): (keyId: number) => AuditRecord {
  return (keyId) => ({ actor, action: 'key.created', target: `key:${keyId}`, details: { name, scope } });
}

/**
 * API keys: create (random, hash stored), authenticate (one indexed lookup; a revoked key fails at once),
 * list, revoke. Nothing at start: the apps' start-up (admin key, AUTH=off warning) is {@link AdminKeyBootstrap}.
 */
@Injectable()
export class ApiKeyService {
  constructor(
    private readonly keys: ApiKeyRepository,
    private readonly config: ConfigService,
  ) {}

  get enabled(): boolean {
    return this.config.get('AUTH') === 'on';
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
}
