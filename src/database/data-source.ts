import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadConfig } from 'src/config/app-config';
import { dataSourceOptions } from 'src/database/data-source-options';
import { DatabaseSettings } from 'src/database/database.settings';

/** The data source of the TypeORM CLI (`npm run migration:*`), configured from the same environment as the service. */
export default new DataSource(dataSourceOptions(loadConfig().get(DatabaseSettings)));
