import { DataSource } from 'typeorm';
import type { AppConfig } from 'src/config/app-config';
import { dataSourceOptions } from 'src/database/data-source-options';
import { DatabaseSettings } from 'src/database/database.settings';

/** `migrations run|revert|show`: what the Helm hook Job runs before replicas start. */
export async function runMigrationsCommand(config: AppConfig, action: string | undefined): Promise<number> {
  if (action !== 'run' && action !== 'revert' && action !== 'show') {
    console.error('migrations needs one of: run, revert, show');
    return 2;
  }
  const dataSource = await new DataSource(dataSourceOptions(config.get(DatabaseSettings))).initialize();
  try {
    if (action === 'run') {
      const applied = await dataSource.runMigrations({ transaction: 'each' });
      console.log(applied.length === 0 ? 'No pending migrations.' : applied.map((m) => `Applied ${m.name}`).join('\n'));
    } else if (action === 'revert') {
      await dataSource.undoLastMigration({ transaction: 'each' });
      console.log('Reverted the last migration.');
    } else {
      const pending = await dataSource.showMigrations();
      console.log(pending ? 'There are pending migrations.' : 'No pending migrations.');
      return pending ? 1 : 0;
    }
    return 0;
  } finally {
    await dataSource.destroy();
  }
}
