import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource } from 'typeorm';
import type { CommandOptions } from 'src/cli/command-options';
import type { AppConfig } from 'src/config/app-config';
import { Database } from 'src/database/database';
import { dataSourceOptions } from 'src/database/data-source-options';
import { DatabaseSettings } from 'src/database/database.settings';
import { PersonalDataCipher, PersonalDataError } from 'src/users/personal-data';
import { PhoneNumbers } from 'src/users/phone-numbers';
import { AuraUser } from 'src/users/user.entity';
import { UserSealing } from 'src/users/user-sealing';
import { UsersRepository } from 'src/users/users.repository';
import { UsersSettings } from 'src/users/users.settings';

const DEFAULT_BATCH = 500;

/**
 * `pii reencrypt [--batch-size N] [--pause-ms N]`: re-seals every personal value held under an older key of
 * PII_KEYS with the first one, in short batches (one compare-and-set update per record), so the service keeps
 * serving meanwhile. Stop it at any time: a new run finds only what is left. Prints progress; exits 1 on a
 * value no key of the ring opens (naming its column and key id). docs/pii.md.
 */
export async function runPiiCommand(
  config: AppConfig,
  action: string | undefined,
  options: CommandOptions,
): Promise<number> {
  if (action !== 'reencrypt') {
    console.error('pii needs: reencrypt [--batch-size N] [--pause-ms N]');
    return 2;
  }
  const batchSize = Number(options['batch-size'] ?? DEFAULT_BATCH);
  const pauseMs = Number(options['pause-ms'] ?? 0);
  if (
    !Number.isInteger(batchSize) ||
    batchSize < 1 ||
    batchSize > 10_000 ||
    !Number.isInteger(pauseMs) ||
    pauseMs < 0
  ) {
    console.error('--batch-size must be 1-10000 and --pause-ms a whole number of milliseconds');
    return 2;
  }
  const database = config.get(DatabaseSettings);
  const usersSettings = config.get(UsersSettings);
  const dataSource = await new DataSource(dataSourceOptions(database)).initialize();
  try {
    const pii = new PersonalDataCipher(usersSettings);
    const users = new UsersRepository(
      dataSource.getRepository(AuraUser),
      new Database(dataSource, database),
      new UserSealing(pii, new PhoneNumbers(usersSettings)),
    );
    const total = await users.countStaleSealed();
    console.log(`${total} record(s) hold values sealed under another key than "${pii.currentKid}".`);
    let done = 0;
    let after: string | null = '';
    while (after !== null) {
      const batch = await users.resealBatch(after, batchSize);
      done += batch.found;
      after = batch.last;
      if (batch.found > 0) {
        console.log(`  ${done}/${total} re-sealed (${batch.found - batch.resealed} rewritten meanwhile by requests)`);
      }
      if (after !== null && pauseMs > 0) {
        await sleep(pauseMs);
      }
    }
    const left = await users.countStaleSealed();
    console.log(
      left === 0
        ? `Done: every value is sealed under "${pii.currentKid}".`
        : `${left} record(s) still to do: run again.`,
    );
    return left === 0 ? 0 : 1;
  } catch (error) {
    if (error instanceof PersonalDataError) {
      console.error(`Cannot re-seal: ${error.message}. Put that key back in PII_KEYS (after the first) and run again.`);
      return 1;
    }
    throw error;
  } finally {
    await dataSource.destroy();
  }
}
