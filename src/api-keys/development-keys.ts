import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ApiKeysRepository } from 'src/api-keys/api-keys.repository';
import { ApiKeysService } from 'src/api-keys/api-keys.service';
import { TIERS } from 'src/auth/tier';
import { NodeEnv, ServerSettings } from 'src/config/server.settings';
import { DatabaseSettings } from 'src/database/database.settings';

/**
 * First start of a development instance on the embedded database: one key per tier, printed
 * once so that `npm start` is immediately usable. Never in production or tests.
 */
@Injectable()
export class DevelopmentKeys implements OnApplicationBootstrap {
  private readonly logger = new Logger(DevelopmentKeys.name);

  constructor(
    private readonly server: ServerSettings,
    private readonly database: DatabaseSettings,
    private readonly keys: ApiKeysRepository,
    private readonly service: ApiKeysService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (
      this.server.NODE_ENV !== NodeEnv.Development ||
      !this.database.isEmbeddedDatabase ||
      (await this.keys.count()) > 0
    ) {
      return;
    }
    const created = [];
    for (const tier of TIERS) {
      created.push(await this.service.create({ name: `development ${tier}`, tier }));
    }
    this.logger.warn('Created development API keys (embedded database, first start); they are shown only now.');
    // Straight to the terminal, not into the JSON log: keys never go to logs.
    process.stdout.write(
      '\n  DEVELOPMENT API KEYS — for this local instance only, shown once:\n' +
        created.map((key) => `    ${key.tier.padEnd(9)} ${key.key}`).join('\n') +
        '\n\n',
    );
  }
}
