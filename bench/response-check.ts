/**
 * Whether two servers answer a request alike: the same status, content type, body shape (members and their
 * types, at any depth), headers (every value but those that differ per response) and cookies (names and
 * attributes, not values). bench/run.ts asks this of each baseline against the service before measuring.
 */

export interface ProbeRequest {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  headers?: Record<string, string>;
}

export interface Answer {
  status: number;
  headers: Record<string, string>;
  cookies: string[];
  body: unknown;
}

/** Headers whose value differs from one response to the next, whoever answers (compared by presence only). */
const PER_RESPONSE = new Set([
  'date',
  'content-length',
  'x-request-id',
  'set-cookie',
  'connection',
  'keep-alive',
  'transfer-encoding',
  // Counts and windows of the rate limits: each server has counted its own requests.
  'x-ratelimit-remaining',
  'x-ratelimit-remaining-client',
  'x-ratelimit-reset',
  'x-ratelimit-reset-client',
]);

export async function answer(url: string, request: ProbeRequest): Promise<Answer> {
  const response = await fetch(`${url}${request.path}`, { method: request.method, headers: request.headers });
  const text = await response.text();
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    headers[name.toLowerCase()] = value;
  });
  let body: unknown = text;
  if (text.length > 0 && /json/.test(headers['content-type'] ?? '')) {
    body = JSON.parse(text) as unknown;
  }
  // A cookie's value and lifetime change per response; its name and the rest of its attributes must not.
  const cookies = response.headers
    .getSetCookie()
    .map((cookie) =>
      cookie
        .split(';')
        .map((part, index) => (index === 0 ? part.split('=')[0] : part.trim().replace(/^(max-age)=\d+$/i, '$1')))
        .join('; '),
    )
    .sort();
  return { status: response.status, headers, cookies, body };
}

/** The shape of a JSON value: its type, and for objects and arrays the shapes of their members. */
export function shapeOf(value: unknown): unknown {
  if (value === null) {
    return 'null';
  }
  if (Array.isArray(value)) {
    return value.length === 0 ? ['empty'] : [shapeOf(value[0])];
  }
  if (typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, shapeOf((value as Record<string, unknown>)[key])]),
    );
  }
  return typeof value;
}

/** How `other` answers differently from `reference`; empty when alike. */
export function differences(reference: Answer, other: Answer): string[] {
  const found: string[] = [];
  if (reference.status !== other.status) {
    found.push(`status ${other.status}, expected ${reference.status}`);
  }
  const names = new Set([...Object.keys(reference.headers), ...Object.keys(other.headers)]);
  for (const name of [...names].sort()) {
    if (PER_RESPONSE.has(name)) {
      continue;
    }
    if (reference.headers[name] !== other.headers[name]) {
      found.push(`header ${name}: ${other.headers[name] ?? '(none)'}, expected ${reference.headers[name] ?? '(none)'}`);
    }
  }
  for (const name of [...PER_RESPONSE].filter((name) => name.startsWith('x-'))) {
    if (name in reference.headers !== name in other.headers) {
      found.push(`header ${name} ${name in other.headers ? 'present' : 'missing'}`);
    }
  }
  const [expectedCookies, cookies] = [reference.cookies.join(' | '), other.cookies.join(' | ')];
  if (expectedCookies !== cookies) {
    found.push(`cookies ${cookies || '(none)'}, expected ${expectedCookies || '(none)'}`);
  }
  const [expectedShape, shape] = [JSON.stringify(shapeOf(reference.body)), JSON.stringify(shapeOf(other.body))];
  if (expectedShape !== shape) {
    found.push(`body shape ${shape}, expected ${expectedShape}`);
  }
  return found;
}
