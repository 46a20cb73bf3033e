import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { type CountryCode, parsePhoneNumberFromString } from 'libphonenumber-js/max';
import type { MigrationInterface, QueryRunner } from 'typeorm';
import { v5 as uuidv5 } from 'uuid';

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
 *
 * A migration is frozen in time: it carries its own copy of the v1 sealed format, the blind index and the
 * pseudonyms as they were defined when it was written (src/users/personal-data.ts, src/users/phone-numbers.ts),
 * and reads the keys from the environment itself (the compiled migrations do not load the service's modules).
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

enum SealedColumn {
  PhoneNumber = 'phone_number',
  AuthenticationContext = 'authentication_context',
}

/** The development keys the service defaults to outside production (src/config/app-config.ts). */
const DEVELOPMENT_KEYS = {
  PII_KEYS: `dev:${Buffer.from('development-only-pii-sealing-key', 'utf8').toString('base64url')}`,
  PII_INDEX_KEY: Buffer.from('development-only-pii-index-key!!', 'utf8').toString('base64url'),
};
const SEALED = /^v1\.([A-Za-z0-9_-]{1,32})\.([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]*)\.([A-Za-z0-9_-]{22})$/;
const decodeKey = (encoded: string) => Buffer.from(encoded, /[+/]/.test(encoded) ? 'base64' : 'base64url');
const aad = (column: SealedColumn, kid: string) => Buffer.from(`aura-pii:v1:${column}:${kid}`, 'utf8');

/** The v1 sealing of docs/pii.md, under the keys of the environment. */
class Pii {
  private readonly ring: Map<string, Buffer>;
  private readonly kid: string;
  private readonly indexKey: Buffer;

  constructor(env: NodeJS.ProcessEnv) {
    const production = env.NODE_ENV === 'production';
    const keys = env.PII_KEYS || (production ? undefined : DEVELOPMENT_KEYS.PII_KEYS);
    const indexKey = env.PII_INDEX_KEY || (production ? undefined : DEVELOPMENT_KEYS.PII_INDEX_KEY);
    if (keys === undefined || indexKey === undefined) {
      throw new Error('PII_KEYS and PII_INDEX_KEY must be set to convert the existing user records');
    }
    const pairs = keys.split(',').map((pair) => pair.trim().split(':') as [string, string]);
    this.ring = new Map(pairs.map(([kid, key]) => [kid, decodeKey(key)]));
    this.kid = pairs[0][0];
    this.indexKey = decodeKey(indexKey);
    if ([...this.ring.values(), this.indexKey].some((key) => key.length !== 32)) {
      throw new Error('PII_KEYS and PII_INDEX_KEY must hold 32-byte keys');
    }
  }

  seal(column: SealedColumn, plaintext: string | null): string | null {
    if (plaintext === null) {
      return null;
    }
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.ring.get(this.kid) as Buffer, iv, { authTagLength: 16 });
    cipher.setAAD(aad(column, this.kid));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return ['v1', this.kid, iv, ciphertext, cipher.getAuthTag()]
      .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
      .join('.');
  }

  open(column: SealedColumn, sealed: string | null): string | null {
    if (sealed === null) {
      return null;
    }
    const [, kid, iv, ciphertext, tag] = SEALED.exec(sealed) ?? [];
    const key = kid === undefined ? undefined : this.ring.get(kid);
    if (key === undefined) {
      throw new Error(`${column}: a value is not sealed under a key of PII_KEYS`);
    }
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'), { authTagLength: 16 });
    decipher.setAAD(aad(column, kid)).setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
  }

  phoneIndex(e164: string): string {
    return createHmac('sha256', this.indexKey).update(e164, 'utf8').digest('hex');
  }

  pseudonym(kind: 'user-id' | 'aura-id-global', name: string): string {
    const bytes = createHmac('sha256', this.indexKey).update(`${kind}\n${name}`, 'utf8').digest().subarray(0, 16);
    bytes[6] = (bytes[6] & 0x0f) | 0x80;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = bytes.toString('hex');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }
}

/** Every phone number written in these values, as the service finds them (PhoneNumbers.findAll). */
class PhoneNumbers {
  constructor(private readonly region: CountryCode) {}

  findAll(values: unknown[]): string[] {
    const found = new Set<string>();
    const visit = (value: unknown, depth: number): void => {
      if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 100_000) {
        value = String(value);
      }
      if (typeof value === 'string') {
        this.readings(value).forEach((number) => found.add(number));
      } else if (typeof value === 'object' && value !== null && depth < 32) {
        (Array.isArray(value) ? value : Object.values(value)).forEach((member) => visit(member, depth + 1));
      }
    };
    values.forEach((value) => visit(value, 0));
    return [...found];
  }

  private readings(text: string): string[] {
    if (text.length > 33 || !/^(?=(?:[^0-9]*[0-9]){6})\+?[0-9 ().-]+$/.test(text)) {
      return [];
    }
    return [text, ...(/^[0-9]{8,15}$/.test(text) ? [`+${text}`] : [])]
      .map((candidate) => {
        const parsed = /^\+?[0-9 ().-]{3,32}$/.test(candidate)
          ? parsePhoneNumberFromString(candidate, { defaultCountry: this.region })
          : undefined;
        return parsed?.isValid() ? parsed.number : undefined;
      })
      .filter((reading): reading is string => reading !== undefined);
  }
}

interface Tools {
  pii: Pii;
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
    tools ??= {
      pii: new Pii(process.env),
      phoneNumbers: new PhoneNumbers((process.env.PHONE_DEFAULT_REGION || 'ES') as CountryCode),
    };
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
    phone_number: pii.seal(SealedColumn.PhoneNumber, phone),
    authentication_context: pii.seal(SealedColumn.AuthenticationContext, row.authentication_context),
    phone_number_index: phone === null ? null : pii.phoneIndex(phone),
    phone_mentions: phoneNumbers
      .findAll([row.aura_id, row.user_id, context])
      .filter((number) => number !== phone)
      .map((number) => pii.phoneIndex(number)),
  };
}

function unseal(row: Row, { pii }: Tools): Converted {
  const phone = pii.open(SealedColumn.PhoneNumber, row.phone_number);
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
    authentication_context: pii.open(SealedColumn.AuthenticationContext, row.authentication_context),
    phone_number_index: null,
    phone_mentions: [],
  };
}
