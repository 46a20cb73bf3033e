import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';

/**
 * The committed OpenAPI document as an executable contract: every response a test receives is checked
 * against the operation that served it — status documented, body valid for that status and content type,
 * errors as application/problem+json. Response objects are closed (no undocumented members) unless the
 * document says otherwise, so the spec cannot fall behind what the service sends.
 */

const SPEC_FILE = join(__dirname, '..', '..', 'openapi', 'openapi.json');
const PROBLEM = 'application/problem+json';
const PROBLEM_SCHEMA = '#/components/schemas/ProblemResponseDto';
const AUTHARA_SCHEMA = '#/components/schemas/AutharaErrorResponseDto';
const AUTHARA_PREFIX = '/auth/api/v1/';

/** Routes the document leaves out on purpose: the documentation itself. */
const EXEMPT_ROUTES = [/^\/docs(?:[-/].*)?$/];

type Schema = Record<string, unknown>;

interface MediaType {
  schema?: Schema;
}

interface ResponseObject {
  content?: Record<string, MediaType>;
}

interface OperationObject {
  operationId: string;
  responses: Record<string, ResponseObject>;
  requestBody?: { content: Record<string, MediaType> };
  parameters?: Array<{ name: string; in: string; required?: boolean; schema?: Schema }>;
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, OperationObject>>;
  components: { schemas: Record<string, Schema> };
}

export interface ObservedResponse {
  method: string;
  /** Fastify's route template (`/users/:auraId`), undefined when no route matched. */
  route: string | undefined;
  /** The requested path, when known: an unmatched path of the session API answers in Authara's envelope. */
  url?: string;
  statusCode: number;
  contentType: string | undefined;
  body: string;
}

let cached: OpenApiContract | undefined;

export function openApiContract(): OpenApiContract {
  cached ??= new OpenApiContract(JSON.parse(readFileSync(SPEC_FILE, 'utf8')) as OpenApiDocument);
  return cached;
}

/** OpenAPI 3.0 `nullable` as JSON Schema, and objects closed unless they say otherwise. */
function toJsonSchema(schema: unknown, closeObjects: boolean): unknown {
  if (Array.isArray(schema)) {
    return schema.map((item) => toJsonSchema(item, closeObjects));
  }
  if (schema === null || typeof schema !== 'object') {
    return schema;
  }
  const { nullable, example: _example, ...rest } = schema as Schema;
  const converted: Schema = {};
  for (const [key, value] of Object.entries(rest)) {
    converted[key] =
      key === 'properties'
        ? Object.fromEntries(
            Object.entries(value as Schema).map(([name, member]) => [name, toJsonSchema(member, closeObjects)]),
          )
        : key === 'enum'
          ? value
          : toJsonSchema(value, closeObjects);
  }
  if (typeof converted.$ref === 'string') {
    converted.$ref = `spec${converted.$ref}`;
  }
  if (closeObjects && converted.properties !== undefined && converted.additionalProperties === undefined) {
    converted.additionalProperties = false;
  }
  return nullable === true ? { anyOf: [converted, { type: 'null' }] } : converted;
}

export class OpenApiContract {
  private readonly ajv: Ajv;
  private readonly validators = new Map<string, ValidateFunction>();
  /** Fastify route template → OpenAPI path. */
  private readonly paths = new Map<string, string>();

  constructor(readonly document: OpenApiDocument) {
    this.ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
    this.ajv.addSchema({ components: { schemas: toJsonSchema(document.components.schemas, true) } }, 'spec');
    for (const path of Object.keys(document.paths)) {
      this.paths.set(path.replace(/\{(\w+)\}/g, ':$1'), path);
    }
  }

  /** The operation behind a Fastify route template, if the document has it. */
  operation(method: string, route: string): { path: string; operation: OperationObject } | undefined {
    const path = this.paths.get(route);
    const operation = path === undefined ? undefined : this.document.paths[path][method.toLowerCase()];
    return path === undefined || operation === undefined ? undefined : { path, operation };
  }

  /** Every violation of the contract by this response; empty when it conforms. */
  check(response: ObservedResponse): string[] {
    const { route } = response;
    if (route !== undefined && EXEMPT_ROUTES.some((pattern) => pattern.test(route))) {
      return [];
    }
    // A CORS preflight is answered before routing and is no operation of the API.
    if (response.method.toUpperCase() === 'OPTIONS' && response.statusCode === 204) {
      return [];
    }
    const method = response.method.toUpperCase() === 'HEAD' ? 'GET' : response.method.toUpperCase();
    const contentType = response.contentType?.split(';')[0].trim().toLowerCase();
    const hasBody = response.method.toUpperCase() !== 'HEAD' && response.body !== '';
    const errors: string[] = [];
    const found = route === undefined ? undefined : this.operation(method, route);
    // An unknown path of the session API answers as its routes do: Authara's envelope, application/json.
    if (found === undefined && route === undefined && response.url?.startsWith(AUTHARA_PREFIX) === true) {
      if (response.statusCode < 400 || contentType !== 'application/json') {
        return [`an unmatched ${AUTHARA_PREFIX} path must answer an error in Authara's envelope (application/json)`];
      }
      return this.validate(AUTHARA_SCHEMA, response.body);
    }
    // An error is problem+json, unless its operation documents another format for it (the session API).
    const documentedFormat =
      contentType !== undefined &&
      found?.operation.responses[String(response.statusCode)]?.content?.[contentType] !== undefined;
    if (response.statusCode >= 400 && contentType !== PROBLEM && !documentedFormat) {
      errors.push(`an error must be ${PROBLEM}, not ${contentType ?? 'no content type'}`);
    }
    if (found === undefined) {
      // No documented operation served it (unknown route, malformed URL): it can only be a problem.
      if (response.statusCode < 400) {
        errors.push(`status ${response.statusCode} from a route the document does not have (${route ?? 'unmatched'})`);
      } else if (hasBody) {
        errors.push(...this.validate(PROBLEM_SCHEMA, response.body));
      }
      return errors;
    }
    const documented = found.operation.responses[String(response.statusCode)] ?? found.operation.responses.default;
    if (documented === undefined) {
      const listed = Object.keys(found.operation.responses).join(', ');
      return [...errors, `status ${response.statusCode} is not documented (documented: ${listed})`];
    }
    const media = documented.content;
    if (media === undefined || Object.keys(media).length === 0) {
      if (hasBody) {
        errors.push(`status ${response.statusCode} is documented without a body, but one was sent`);
      }
      return errors;
    }
    if (!hasBody) {
      return response.method.toUpperCase() === 'HEAD' ? errors : [...errors, 'a documented body is missing'];
    }
    const entry = contentType === undefined ? undefined : media[contentType];
    if (entry === undefined) {
      return [
        ...errors,
        `content type ${contentType ?? 'none'} is not documented for ${response.statusCode} (${Object.keys(media).join(', ')})`,
      ];
    }
    // A JSON body is validated against its schema; a text one (the Prometheus exposition) is a string by nature.
    if (entry.schema !== undefined && contentType?.endsWith('json')) {
      errors.push(...this.validate(entry.schema, response.body));
    }
    return errors;
  }

  private validate(schema: Schema | string, body: string): string[] {
    let value: unknown;
    try {
      value = JSON.parse(body) as unknown;
    } catch {
      return ['the body is not JSON'];
    }
    const key = typeof schema === 'string' ? schema : JSON.stringify(schema);
    let validator = this.validators.get(key);
    if (validator === undefined) {
      const jsonSchema = typeof schema === 'string' ? { $ref: `spec${schema}` } : toJsonSchema(schema, true);
      validator = this.ajv.compile(jsonSchema as Schema);
      this.validators.set(key, validator);
    }
    if (validator(value)) {
      return [];
    }
    return (validator.errors ?? []).map(
      (error) => `body${error.instancePath} ${error.message ?? 'is invalid'}${describeParams(error.params)}`,
    );
  }
}

function describeParams(params: Record<string, unknown>): string {
  const interesting = params.additionalProperty ?? params.allowedValues ?? params.missingProperty;
  return interesting === undefined ? '' : ` (${JSON.stringify(interesting)})`;
}
