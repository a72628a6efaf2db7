import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ConfigService } from '@visage/config';
import { ApiKeyRepository, DatabaseLock, LockRepository } from '@visage/persistence';
import { hashApiKey } from './api-key';
import { ApiKeyService, keyCreated } from './api-key.service';

/** Name of the key stored from ADMIN_API_KEY. */
export const CONFIGURED_ADMIN_KEY_NAME = 'ADMIN_API_KEY';
/** Name of the admin key generated on a database without one. */
export const GENERATED_ADMIN_KEY_NAME = 'generated admin';

/**
 * An app's start: makes sure an admin key exists (ADMIN_API_KEY, or a generated one logged once) and warns when
 * AUTH=off. Only the apps run it (AuthModule.forApi / forDashboard); `npm run keys` does not, so listing or
 * creating keys never stores or prints an admin key as a side effect.
 */
@Injectable()
export class AdminKeyBootstrap implements OnApplicationBootstrap {
  private readonly logger = new Logger('Auth');
  /** The admin key this start generated (none existed), for `npm start`'s ready banner to show last; else undefined. */
  generatedKey: string | undefined;

  constructor(
    private readonly keys: ApiKeyService,
    private readonly repository: ApiKeyRepository,
    private readonly locks: LockRepository,
    private readonly config: ConfigService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.keys.enabled) {
      this.logger.warn(
        'AUTH=off: every route of this app is open to anyone who can reach it. Only for local experiments; remove AUTH=off to require keys.',
      );
    }
    await this.ensureAdminKey();
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
        if (await this.repository.findActiveByHash(hash)) return;
        const created = await this.repository.create(
          CONFIGURED_ADMIN_KEY_NAME,
          'admin',
          hash,
          keyCreated('bootstrap', CONFIGURED_ADMIN_KEY_NAME, 'admin'),
        );
        if (!created) this.logger.warn('ADMIN_API_KEY was revoked and stays revoked: set a new one, or create an admin key with `npm run keys`.');
        return;
      }
      if ((await this.repository.countActive('admin')) > 0) return;
      const generated = await this.keys.create(GENERATED_ADMIN_KEY_NAME, 'admin', 'bootstrap');
      this.generatedKey = generated.key;
      this.logger.warn(
        `No admin API key existed: generated one (key id ${generated.id}). It is shown this once; store it now and use it as ` +
          `"Authorization: Bearer <key>" or to sign in to the dashboard: ${generated.key}`,
      );
    });
  }
}
