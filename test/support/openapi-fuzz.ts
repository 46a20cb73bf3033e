import fc from 'fast-check';
import type { InjectOptions } from 'light-my-request';
import type { OpenApiDocument } from './openapi-contract';

/**
 * Requests generated from the OpenAPI document: for each operation, its path, query, headers and body built
 * from the declared schemas (plausible values, so that some requests succeed) mixed with hostile ones —
 * oversize, deeply nested, unicode, NUL bytes, SQL and header injection, wrong types, duplicated or unknown
 * parameters, broken encodings, other content types.
 */

type Schema = Record<string, unknown>;

export interface FuzzContext {
  document: OpenApiDocument;
  /** A valid key of each tier, to get past the guard most of the time. */
  keys: Record<string, string>;
  /** More values for a query or path parameter, that this module cannot invent (sealed callback data). */
  special?: Partial<Record<string, fc.Arbitrary<string>>>;
}

export type FuzzRequest = InjectOptions & { method: string; url: string; headers: Record<string, string> };

/** Strings that have broken services before. */
export const HOSTILE_STRINGS: readonly string[] = [
  '',
  ' ',
  '\t',
  '\u0000',
  'a\u0000b',
  '\r\nX-Injected: 1',
  "' OR '1'='1",
  "1'; DROP TABLE aura_users;--",
  '" OR ""="',
  '$1',
  '%s%s%s%n',
  '../../../etc/passwd',
  '..',
  '.',
  '~',
  '/',
  '${jndi:ldap://127.0.0.1/a}',
  '{{7*7}}',
  '<script>alert(1)</script>',
  'javascript:alert(1)',
  '😀',
  '\ud800',
  '\udfff\ud800',
  '\u202egnp.exe',
  '\ufeff',
  'é',
  'Ａ',
  '６００１２３４５６',
  'NaN',
  'Infinity',
  '-1',
  '0',
  '1e309',
  '9007199254740993',
  'null',
  'undefined',
  'true',
  '[]',
  '{}',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'aura-id',
  'aura-id-global',
  'auraid',
  '+34600000000',
  '+34 600 00 00 00',
  '0034600000000',
  '600000000',
  '12',
  '+999999999999999999999',
  'aak_test_0000000000000000_' + 'A'.repeat(43),
  'a'.repeat(129),
  'a'.repeat(257),
  'x'.repeat(600),
  'y'.repeat(5000),
];

/**
 * auraIds over the whole printable ASCII range (what external services make, `+ : @ =` included) with, now
 * and then, the characters the rule refuses (`/ ? # %`, space, DEL) and lengths around the 128 limit;
 * percent-encoded as a client would send them.
 */
export const auraIdStrings: fc.Arbitrary<string> = fc
  .oneof(
    {
      weight: 6,
      arbitrary: fc.string({
        unit: fc.integer({ min: 0x21, max: 0x7e }).map(String.fromCharCode),
        minLength: 1,
        maxLength: 40,
      }),
    },
    {
      weight: 2,
      arbitrary: fc.string({ unit: fc.integer({ min: 0x20, max: 0x7f }).map(String.fromCharCode), maxLength: 40 }),
    },
    { weight: 1, arbitrary: fc.integer({ min: 126, max: 130 }).map((length) => '+:@='.repeat(33).slice(0, length)) },
    { weight: 1, arbitrary: fc.constantFrom('wa+34600000000', 'whatsapp:+34600000000', 'a@b=c', '.', '..', 'aura-id') },
  )
  .map((auraId) => encodeURIComponent(auraId));

/** Pieces inserted into a URL as they are, unencoded: broken percent-encodings and separators. */
const RAW_URL_PIECES = ['%', '%zz', '%00', '%ED%A0%80', '%C0%AF', '%2F', '%2e%2e', ';x=1', '%23', '%3F', '%0d%0a'];

const hostileString = fc.constantFrom(...HOSTILE_STRINGS);

/** Any string at all, unicode included, of moderate size. */
const anyString = fc.string({ unit: 'binary', maxLength: 40 });

/** JSON of any shape and type, for wrong-type members. */
const anyJson = fc.jsonValue({ maxDepth: 3 });

/** A JSON text nested `depth` levels deep, objects or arrays. */
function deeplyNested(depth: number, kind: 'array' | 'object'): string {
  return kind === 'array' ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
}

const hostileBodyText = fc.oneof(
  fc.constantFrom(
    '',
    ' ',
    '{',
    '{"a":',
    'null',
    'true',
    '12345678901234567890123456789',
    '"text"',
    '[]',
    '\ufeff{}',
    '{"__proto__":{"polluted":true}}',
    '{"constructor":{"prototype":{"polluted":true}}}',
    '{"channel":"web","channel":"tv"}',
    '{"a":"\\u0000"}',
    '{"a":"\\ud800"}',
    deeplyNested(40, 'array'),
    deeplyNested(5000, 'array'),
    deeplyNested(3000, 'object'),
    JSON.stringify({ blob: 'x'.repeat(70 * 1024) }),
  ),
  fc.integer({ min: 33, max: 20_000 }).map((depth) => deeplyNested(depth, 'array')),
  anyString,
);

function resolve(document: OpenApiDocument, schema: Schema | undefined): Schema {
  let current = schema ?? {};
  for (let hops = 0; hops < 8; hops++) {
    if (typeof current.$ref === 'string') {
      current = document.components.schemas[current.$ref.split('/').pop() ?? ''] ?? {};
    } else if (Array.isArray(current.allOf) && current.allOf.length === 1) {
      current = { ...current, ...(current.allOf[0] as Schema), allOf: undefined };
    } else {
      break;
    }
  }
  return current;
}

/** A value the schema would accept, most of the time: its example (varied), or an enum member. */
function plausible(document: OpenApiDocument, raw: Schema | undefined, depth = 0): fc.Arbitrary<unknown> {
  const schema = resolve(document, raw);
  if (Array.isArray(schema.enum)) {
    return fc.constantFrom(...(schema.enum as unknown[]));
  }
  if (schema.type === 'object' || schema.properties !== undefined) {
    const properties = (schema.properties ?? {}) as Record<string, Schema>;
    const required = (schema.required ?? []) as string[];
    return fc.record(
      Object.fromEntries(
        Object.entries(properties).map(([name, member]) => [name, field(document, member, depth + 1)]),
      ),
      { requiredKeys: required.filter((name) => name in properties) },
    );
  }
  if (schema.type === 'array') {
    return fc.array(field(document, schema.items as Schema, depth + 1), {
      maxLength: typeof schema.maxItems === 'number' ? schema.maxItems : 4,
    });
  }
  if (schema.type === 'integer' || schema.type === 'number') {
    const min = typeof schema.minimum === 'number' ? schema.minimum : -1000;
    const max = typeof schema.maximum === 'number' ? schema.maximum : 1000;
    return fc.integer({ min, max });
  }
  if (schema.type === 'boolean') {
    return fc.boolean();
  }
  const example = schema.example;
  if (typeof example !== 'string') {
    return fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,20}$/);
  }
  if (/^\+\d{8,15}$/.test(example)) {
    // Valid Spanish mobile numbers: a new person now and then.
    return fc.oneof(
      fc.constant(example),
      fc.integer({ min: 0, max: 99_999_999 }).map((n) => `+346${String(n).padStart(8, '0')}`),
    );
  }
  if (/^\d{4}-\d\d-\d\dT/.test(example)) {
    return fc.integer({ min: 1, max: 3000 }).map((days) => new Date(Date.now() + days * 86_400_000).toISOString());
  }
  return fc.oneof(
    fc.constant(example),
    fc.stringMatching(/^[a-z0-9]{1,8}$/).map((suffix) => `${example.slice(0, 100)}-${suffix}`),
  );
}

/** A member value: plausible mostly, hostile or of the wrong type otherwise. */
function field(document: OpenApiDocument, schema: Schema | undefined, depth: number): fc.Arbitrary<unknown> {
  if (depth > 4) {
    return anyJson;
  }
  return fc.oneof(
    { weight: 6, arbitrary: plausible(document, schema, depth) },
    { weight: 2, arbitrary: hostileString },
    { weight: 1, arbitrary: anyString },
    { weight: 1, arbitrary: anyJson },
    // null is neither a value nor an absence: optional members sent as null once answered 500.
    { weight: 1, arbitrary: fc.constant(null) },
  );
}

/** A path or query value: plausible, hostile, any string, or a raw (unencoded) broken piece. */
function parameterValue(document: OpenApiDocument, schema: Schema | undefined): fc.Arbitrary<string> {
  const encoded = fc
    .oneof(
      { weight: 5, arbitrary: plausible(document, schema).map(String) },
      { weight: 3, arbitrary: hostileString },
      { weight: 1, arbitrary: anyString },
    )
    .map((value) => encodeURIComponent(toWellFormed(value)));
  return fc.oneof(
    { weight: 9, arbitrary: encoded },
    {
      weight: 1,
      arbitrary: fc
        .tuple(encoded, fc.constantFrom(...RAW_URL_PIECES))
        .map(([value, piece]) => (value.length % 2 === 0 ? value + piece : piece + value)),
    },
  );
}

/** encodeURIComponent throws on lone surrogates: send their replacement character instead. */
function toWellFormed(text: string): string {
  return text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
}

type QueryPiece = string;

function valueOf(
  document: OpenApiDocument,
  parameter: { name: string; schema?: Schema },
  special: FuzzContext['special'],
): fc.Arbitrary<string> {
  const generic = parameterValue(document, parameter.schema);
  const extra = special?.[parameter.name];
  return extra === undefined ? generic : fc.oneof(extra, generic);
}

function queryPieces(
  document: OpenApiDocument,
  parameters: Array<{ name: string; in: string; required?: boolean; schema?: Schema }>,
  special: FuzzContext['special'],
): fc.Arbitrary<QueryPiece[]> {
  const declared = parameters.filter((parameter) => parameter.in === 'query');
  const perParameter = declared.map((parameter) => {
    const name = encodeURIComponent(parameter.name);
    const value = valueOf(document, parameter, special);
    return fc.oneof(
      // As declared: once, or left out when optional (and sometimes when required).
      { weight: 8, arbitrary: value.map((v) => [`${name}=${v}`]) },
      { weight: parameter.required ? 1 : 4, arbitrary: fc.constant([] as string[]) },
      // Duplicated, or in the bracket forms some parsers turn into arrays and objects.
      { weight: 1, arbitrary: fc.tuple(value, value).map(([a, b]) => [`${name}=${a}`, `${name}=${b}`]) },
      { weight: 1, arbitrary: value.map((v) => [`${name}[]=${v}`]) },
      { weight: 1, arbitrary: value.map((v) => [`${name}[x]=${v}`]) },
      { weight: 1, arbitrary: fc.constant([name]) },
    );
  });
  const unknown = fc.oneof(
    { weight: 8, arbitrary: fc.constant([] as string[]) },
    {
      weight: 2,
      arbitrary: fc
        .tuple(
          fc.constantFrom('isAdmin', '__proto__', 'constructor', 'toString', 'apiKey', '', 'a[b][c]'),
          hostileString,
        )
        .map(([name, value]) => [`${encodeURIComponent(name)}=${encodeURIComponent(toWellFormed(value))}`]),
    },
  );
  return fc.tuple(...perParameter, unknown).map((groups) => groups.flat());
}

/** The API key headers: the right one mostly, else none, another tier's, or something key-shaped but wrong. */
function keyHeaders(tiers: string[], keys: Record<string, string>): fc.Arbitrary<Record<string, string>> {
  if (tiers.length === 0) {
    return fc.oneof(
      { weight: 9, arbitrary: fc.constant({}) },
      { weight: 1, arbitrary: fc.constantFrom(...Object.values(keys)).map((key) => ({ 'x-api-key': key })) },
    );
  }
  const admitted = tiers.includes('public') ? Object.values(keys) : tiers.map((tier) => keys[tier]);
  const right = fc.constantFrom(...admitted);
  return fc.oneof(
    { weight: 6, arbitrary: right.map((key) => ({ 'x-api-key': key })) },
    { weight: 3, arbitrary: right.map((key) => ({ authorization: `APIKEY ${key}` })) },
    { weight: 1, arbitrary: fc.constant({}) },
    { weight: 1, arbitrary: fc.constantFrom(...Object.values(keys)).map((key) => ({ 'x-api-key': key })) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(right, fc.constantFrom('Bearer ', 'apikey ', 'APIKEY  ', 'Basic ', '', 'APIKEY'), hostileString)
        .map(([key, scheme, garbage]) => ({ authorization: `${scheme}${garbage.length % 2 === 0 ? key : garbage}` })),
    },
    { weight: 1, arbitrary: fc.tuple(right, fc.nat(60)).map(([key, cut]) => ({ 'x-api-key': key.slice(0, cut) })) },
  );
}

/** Header values: printable ASCII and Latin-1 only (what an HTTP parser lets through), hostile where possible. */
const headerString = fc.oneof(
  fc.constantFrom(
    '',
    ' ',
    "' OR 1=1 --",
    'a'.repeat(300),
    '${jndi:ldap://127.0.0.1/a}',
    'é',
    '\u00ff',
    '../..',
    'W/"x"',
    '*',
  ),
  fc.string({ unit: fc.integer({ min: 0x20, max: 0xff }).map((code) => String.fromCharCode(code)), maxLength: 60 }),
);

/** Caller-chosen request ids, some of which could carry a phone number into logs and audit rows. */
const requestIds = fc.oneof(
  fc.constantFrom('34600000002', '+34600000002', '600000002', '0034600000002', 'req-34600000002'),
  fc.uuid(),
  fc.stringMatching(/^[0-9]{6,15}$/),
  headerString,
);

function extraHeaders(): fc.Arbitrary<Record<string, string>> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.constant({}) },
    { weight: 1, arbitrary: requestIds.map((id) => ({ 'x-request-id': id })) },
    {
      weight: 4,
      arbitrary: fc
        .tuple(
          fc.constantFrom(
            'x-request-id',
            'accept',
            'if-none-match',
            'x-forwarded-for',
            'origin',
            'content-encoding',
            'x-http-method-override',
          ),
          headerString,
        )
        .map(([name, value]) => ({ [name]: value })),
    },
  );
}

const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=latin1',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/xml',
  'application/problem+json',
];

function bodyOf(
  document: OpenApiDocument,
  schema: Schema | undefined,
): fc.Arbitrary<{ payload?: string; contentType?: string }> {
  const json = fc.oneof(
    { weight: 6, arbitrary: plausible(document, schema).chain((value) => withExtraMembers(value)) },
    { weight: 1, arbitrary: anyJson },
  );
  return fc.oneof(
    {
      weight: 6,
      arbitrary: json.map((value) => ({ payload: JSON.stringify(value), contentType: 'application/json' })),
    },
    { weight: 2, arbitrary: hostileBodyText.map((payload) => ({ payload, contentType: 'application/json' })) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(json, fc.constantFrom(...CONTENT_TYPES))
        .map(([value, contentType]) => ({ payload: JSON.stringify(value), contentType })),
    },
    { weight: 1, arbitrary: fc.constant({}) },
  );
}

/** Objects get unknown members now and then, including prototype-polluting names. */
function withExtraMembers(value: unknown): fc.Arbitrary<unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return fc.constant(value);
  }
  return fc.oneof(
    { weight: 4, arbitrary: fc.constant(value) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.constantFrom('isAdmin', 'constructor', 'toString', 'x'), anyJson)
        .map(([name, member]) => ({ ...value, [name]: member })),
    },
  );
}

/** Every request fast-check may generate for one operation of the document. */
export function requestsFor(context: FuzzContext, path: string, method: string): fc.Arbitrary<FuzzRequest> {
  const { document } = context;
  const operation = document.paths[path][method] as unknown as {
    parameters?: Array<{ name: string; in: string; required?: boolean; schema?: Schema }>;
    requestBody?: { content: Record<string, { schema?: Schema }> };
    'x-access-tiers'?: string[];
  };
  const parameters = operation.parameters ?? [];
  const pathParameters = parameters.filter((parameter) => parameter.in === 'path');
  const pathArbitrary = fc
    .tuple(
      ...pathParameters.map((parameter) =>
        valueOf(document, parameter, context.special).map((value) => [parameter.name, value] as const),
      ),
    )
    .map((values) => values.reduce((url, [name, value]) => url.replace(`{${name}}`, value), path));
  const bodySchema = operation.requestBody?.content['application/json']?.schema;
  const body: fc.Arbitrary<{ payload?: string; contentType?: string }> =
    bodySchema !== undefined
      ? bodyOf(document, bodySchema)
      : // A body nobody asked for, on methods whose bodies Fastify reads anyway.
        fc.oneof(
          { weight: 8, arbitrary: fc.constant({}) },
          {
            weight: 2,
            arbitrary: fc
              .tuple(hostileBodyText, fc.constantFrom(...CONTENT_TYPES))
              .map(([payload, contentType]) => ({ payload, contentType })),
          },
        );
  return fc
    .record({
      url: pathArbitrary,
      query: queryPieces(document, parameters, context.special),
      keys: keyHeaders(operation['x-access-tiers'] ?? [], context.keys),
      extra: extraHeaders(),
      body,
    })
    .map(({ url, query, keys, extra, body: { payload, contentType } }): FuzzRequest => ({
      method: method.toUpperCase(),
      url: query.length > 0 ? `${url}?${query.join('&')}` : url,
      headers: { ...extra, ...keys, ...(contentType === undefined ? {} : { 'content-type': contentType }) },
      ...(payload === undefined ? {} : { payload }),
    }));
}
