import type { MigrationInterface, QueryRunner } from 'typeorm';
import { v5 as uuidv5 } from 'uuid';
import { loadConfig } from 'src/config/app-config';
import { PersonalDataCipher, SealedColumn } from 'src/users/personal-data';
import { PhoneNumbers } from 'src/users/phone-numbers';

/** Namespaces of the former, unkeyed UUIDv5 identifiers: only to recognise (and replace) them. */
const USER_ID_NAMESPACE = '8d8fd67c-acb0-47b3-8179-3098ebc07652';
const AURA_ID_GLOBAL_NAMESPACE = '9694524f-22c8-4597-bc01-e10fbf595fac';
const BATCH = 1000;

interface Row {
  aura_id: string;
  aura_id_global: string;
  user_id: string;
  channel: string;
  phone_number: string | null;
  authentication_context: string | null;
}

/**
 * Personal data sealed at rest (docs/pii.md): the phone number and the authentication context become
 * AES-256-GCM sealed text, found through blind indexes, and the identifiers derived from a phone number,
 * channel + auraId or Kernel userId become keyed pseudonyms. Existing rows are converted here, in batches,
 * so it needs PII_KEYS and PII_INDEX_KEY in its environment (the same values as the service: the Helm hook
 * Job gets them from the same Secret). `down` converts back to clear values, with the same keys.
 */
export class PersonalDataSealed1795400000000 implements MigrationInterface {
  name = 'PersonalDataSealed1795400000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "aura_users" DROP CONSTRAINT "chk_aura_users_authentication_context_size"`);
    await queryRunner.query(`DROP INDEX "public"."idx_aura_users_phone_number"`);
    await queryRunner.query(`ALTER TABLE "aura_users" ALTER COLUMN "phone_number" TYPE character varying(128)`);
    await queryRunner.query(
      `ALTER TABLE "aura_users" ALTER COLUMN "authentication_context" TYPE text USING "authentication_context"::text`,
    );
    await queryRunner.query(`ALTER TABLE "aura_users" ADD "phone_number_index" character varying(64)`);
    await queryRunner.query(
      `ALTER TABLE "aura_users" ADD "phone_mentions" character varying(64) array NOT NULL DEFAULT '{}'`,
    );
    await convert(queryRunner, (row, tools) => seal(row, tools));
    await queryRunner.query(`CREATE INDEX "idx_aura_users_phone_number_index" ON "aura_users" ("phone_number_index")`);
    await queryRunner.query(
      `CREATE INDEX "idx_aura_users_phone_mentions" ON "aura_users" USING gin ("phone_mentions")`,
    );
    await queryRunner.query(
      `ALTER TABLE "aura_users" ADD CONSTRAINT "chk_aura_users_authentication_context_size" CHECK (octet_length("authentication_context") <= 11264)`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "aura_users" DROP CONSTRAINT "chk_aura_users_authentication_context_size"`);
    await queryRunner.query(`DROP INDEX "public"."idx_aura_users_phone_mentions"`);
    await queryRunner.query(`DROP INDEX "public"."idx_aura_users_phone_number_index"`);
    await convert(queryRunner, (row, tools) => unseal(row, tools));
    await queryRunner.query(`ALTER TABLE "aura_users" DROP COLUMN "phone_mentions"`);
    await queryRunner.query(`ALTER TABLE "aura_users" DROP COLUMN "phone_number_index"`);
    await queryRunner.query(
      `ALTER TABLE "aura_users" ALTER COLUMN "authentication_context" TYPE jsonb USING "authentication_context"::jsonb`,
    );
    await queryRunner.query(`ALTER TABLE "aura_users" ALTER COLUMN "phone_number" TYPE character varying(16)`);
    await queryRunner.query(`CREATE INDEX "idx_aura_users_phone_number" ON "aura_users" ("phone_number")`);
    await queryRunner.query(
      `ALTER TABLE "aura_users" ADD CONSTRAINT "chk_aura_users_authentication_context_size" CHECK (octet_length("authentication_context"::text) <= 8192)`,
    );
  }
}

interface Tools {
  pii: PersonalDataCipher;
  phoneNumbers: PhoneNumbers;
}

interface Converted extends Row {
  phone_number_index: string | null;
  phone_mentions: string[];
}

/** Walks every record in keyset batches and writes each one converted. Keys are read only if a record exists. */
async function convert(queryRunner: QueryRunner, change: (row: Row, tools: Tools) => Converted): Promise<void> {
  let tools: Tools | undefined;
  let after = '';
  for (;;) {
    const rows = (await queryRunner.query(
      `SELECT aura_id, aura_id_global, user_id, channel, phone_number, authentication_context FROM aura_users
       WHERE aura_id > $1 ORDER BY aura_id LIMIT ${BATCH}`,
      [after],
    )) as Row[];
    if (rows.length === 0) {
      return;
    }
    if (tools === undefined) {
      const config = loadConfig();
      tools = { pii: new PersonalDataCipher(config), phoneNumbers: new PhoneNumbers(config) };
    }
    const converted = rows.map((row) => change(row, tools as Tools));
    await queryRunner.query(
      `UPDATE aura_users u SET aura_id_global = c.aura_id_global, user_id = c.user_id, phone_number = c.phone_number,
         authentication_context = c.authentication_context, phone_number_index = c.phone_number_index,
         phone_mentions = c.phone_mentions::varchar[]
       FROM jsonb_to_recordset($1::jsonb) AS c(aura_id varchar, aura_id_global varchar, user_id varchar,
         phone_number varchar, authentication_context text, phone_number_index varchar, phone_mentions text[])
       WHERE u.aura_id = c.aura_id`,
      [JSON.stringify(converted)],
    );
    after = rows[rows.length - 1].aura_id;
  }
}

/** The names the former identifiers were derived from, for this record. */
function derivationNames(row: Row, phoneNumber: string | null): string[] {
  return [
    ...(phoneNumber === null ? [] : [`tel:${phoneNumber}`]),
    `aura:${row.channel}:${row.aura_id}`,
    `kernel:${row.user_id}`,
  ];
}

function seal(row: Row, { pii, phoneNumbers }: Tools): Converted {
  const phone = row.phone_number;
  const context = row.authentication_context === null ? null : (JSON.parse(row.authentication_context) as unknown);
  let { aura_id_global: auraIdGlobal, user_id: userId } = row;
  for (const name of derivationNames(row, phone)) {
    if (auraIdGlobal === uuidv5(name, AURA_ID_GLOBAL_NAMESPACE)) {
      auraIdGlobal = pii.pseudonym('aura-id-global', name);
    }
    if (userId === uuidv5(name, USER_ID_NAMESPACE)) {
      userId = pii.pseudonym('user-id', name);
    }
  }
  return {
    ...row,
    aura_id_global: auraIdGlobal,
    user_id: userId,
    phone_number: pii.sealNullable(SealedColumn.PhoneNumber, phone),
    authentication_context: pii.sealNullable(SealedColumn.AuthenticationContext, row.authentication_context),
    phone_number_index: phone === null ? null : pii.phoneIndex(phone),
    phone_mentions: phoneNumbers
      .findAll([row.aura_id, row.user_id, context])
      .filter((number) => number !== phone)
      .map((number) => pii.phoneIndex(number)),
  };
}

function unseal(row: Row, { pii }: Tools): Converted {
  const phone = pii.openNullable(SealedColumn.PhoneNumber, row.phone_number);
  let { aura_id_global: auraIdGlobal, user_id: userId } = row;
  for (const name of derivationNames(row, phone)) {
    if (auraIdGlobal === pii.pseudonym('aura-id-global', name)) {
      auraIdGlobal = uuidv5(name, AURA_ID_GLOBAL_NAMESPACE);
    }
    if (userId === pii.pseudonym('user-id', name)) {
      userId = uuidv5(name, USER_ID_NAMESPACE);
    }
  }
  return {
    ...row,
    aura_id_global: auraIdGlobal,
    user_id: userId,
    phone_number: phone,
    authentication_context: pii.openNullable(SealedColumn.AuthenticationContext, row.authentication_context),
    phone_number_index: null,
    phone_mentions: [],
  };
}
