import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import type { InjectOptions } from 'light-my-request';
import { CallbackCipher, CallbackPurpose, parseCipherKeys } from 'src/callbacks/callback-cipher';
import type { AppConfig } from 'src/config/app-config';
import { CallbacksSettings } from 'src/callbacks/callbacks.settings';
import { UsersSettings } from 'src/users/users.settings';
import { AuditSettings } from 'src/audit/audit.settings';
import { DirectLineSettings } from 'src/directline/directline.settings';
import { KernelSettings } from 'src/kernel/kernel.settings';

/** Shorter values are too common to be told apart from ordinary text. */
const MIN_SECRET_LENGTH = 12;
const MIN_PHONE_DIGITS = 7;
/** An E.164-looking number anywhere: no log line or error body has a reason to carry one. */
const E164_LIKE = /(?<![\w.:/-])\+\d{7,15}(?!\d)/g;
const PHONE_PATH = /^\/admin\/users\/phone-numbers\/([^/?#]*)/;

/**
 * Everything secret or personal a test app saw go in — API keys it created or was sent, configured secrets,
 * sealed callback values and the payloads inside them, phone numbers in any form, generated auraIds — so that
 * `close()` can check that none of it ever came out in a log line or an error body.
 */
export class SecretLedger {
  private readonly secrets = new Map<string, string>();
  private readonly cipher: CallbackCipher | undefined;

  constructor(private readonly config: AppConfig) {
    this.add(config.get(AuditSettings).AUDIT_HMAC_SECRET, 'AUDIT_HMAC_SECRET');
    this.add(config.get(DirectLineSettings).DIRECTLINE_SECRET, 'DIRECTLINE_SECRET');
    this.add(config.get(KernelSettings).KERNEL_CLIENT_SECRET, 'KERNEL_CLIENT_SECRET');
    for (const entry of config.get(CallbacksSettings).CALLBACK_CIPHER_KEYS.split(',')) {
      this.add(entry.split(':')[1]?.trim(), 'CALLBACK_CIPHER_KEYS');
    }
    try {
      this.cipher = new CallbackCipher(parseCipherKeys(config.get(CallbacksSettings).CALLBACK_CIPHER_KEYS));
    } catch {
      this.cipher = undefined;
    }
  }

  get size(): number {
    return this.secrets.size;
  }

  add(value: string | undefined, label: string): void {
    if (value !== undefined && value.length >= MIN_SECRET_LENGTH && !this.secrets.has(value)) {
      this.secrets.set(value, label);
    }
  }

  addApiKey(key: string): void {
    this.add(key, 'API key');
    // aak_<env>_<public id>_<secret>: the secret part alone is as bad as the whole key.
    this.add(key.split('_').slice(3).join('_'), 'API key secret');
  }

  /** A phone number in any writing: its E.164 form and its national digits are what must never leak. */
  addPhoneNumber(text: unknown): void {
    if (typeof text !== 'string') {
      return;
    }
    const parsed = parsePhoneNumberFromString(text, {
      defaultCountry: this.config.get(UsersSettings).PHONE_DEFAULT_REGION as 'ES',
    });
    if (parsed?.isValid()) {
      this.secrets.set(parsed.number, 'phone number');
      this.secrets.set(parsed.nationalNumber, 'phone number (national digits)');
      return;
    }
    const digits = text.replace(/\D/g, '');
    if (digits.length >= MIN_PHONE_DIGITS) {
      this.secrets.set(digits, 'phone-number-like digits');
    }
  }

  /** Picks the secrets out of a request before it is sent. */
  observeRequest(options: InjectOptions): void {
    const headers = (options.headers ?? {}) as Record<string, unknown>;
    const gvpToken = headers['x-gvp-token'];
    if (typeof gvpToken === 'string') {
      this.add(gvpToken, 'X-GVP-Token header');
    }
    for (const name of ['x-api-key', 'authorization']) {
      for (const value of [headers[name]].flat()) {
        const key = typeof value === 'string' ? value.replace(/^APIKEY\s+/i, '').trim() : '';
        // Key-shaped values with a secret part only: a cut-off key is its public prefix, which may be logged.
        if (key.startsWith('aak_') && key.split('_').slice(3).join('_').length >= MIN_SECRET_LENGTH) {
          this.add(key, `${name} header`);
        }
      }
    }
    const url = new URL(typeof options.url === 'string' ? options.url : '/', 'http://test.invalid');
    const phonePath = PHONE_PATH.exec(url.pathname);
    if (phonePath !== null) {
      this.addPhoneNumber(safeDecode(phonePath[1]));
    }
    for (const [name, value] of url.searchParams) {
      if (name === 'phoneNumber') {
        this.addPhoneNumber(value);
      } else if (name === 'apiKey' && value.startsWith('aak_')) {
        this.add(value, 'apiKey query parameter');
      } else if (name === 'token' && url.pathname.startsWith('/gvp/')) {
        this.add(value, 'GVP device token');
      } else if (name === 'data') {
        this.observeSealed(value);
      }
    }
    const payload = options.payload ?? options.body;
    if (payload !== undefined) {
      this.observeJson(typeof payload === 'string' || Buffer.isBuffer(payload) ? parseJson(String(payload)) : payload);
    }
  }

  /** Values a successful response revealed that must not show up elsewhere (generated auraIds). */
  observeSuccess(body: unknown): void {
    if (body !== null && typeof body === 'object') {
      this.add((body as { auraId?: string }).auraId, 'auraId');
      // GVP's envelope carries it in Content.
      this.add((body as { Content?: { auraId?: string } | null }).Content?.auraId, 'auraId');
    }
  }

  /**
   * Where each secret or personal value (by label, never the value) or E.164-looking number appears among
   * the texts. One pass over all of them per secret, then a look for the culprits only.
   */
  findIn(texts: string[], describe: (index: number) => string): string[] {
    const all = texts.join('\n');
    const found: string[] = [];
    for (const [secret, label] of this.secrets) {
      if (all.includes(secret)) {
        const index = texts.findIndex((text) => text.includes(secret));
        found.push(`${label} in ${this.mask(describe(index))}`);
      }
    }
    texts.forEach((text, index) => {
      for (const match of text.matchAll(E164_LIKE)) {
        found.push(`E.164-looking number ${match[0].slice(0, 4)}… in ${this.mask(describe(index))}`);
      }
    });
    return found;
  }

  /** The text with every known secret and E.164-looking number blanked, fit for a test report. */
  private mask(text: string): string {
    let masked = text.replace(E164_LIKE, '[number]');
    for (const secret of this.secrets.keys()) {
      masked = masked.split(secret).join('[secret]');
    }
    return masked;
  }

  /** Authentic sealed values are credentials, and their payloads personal data; garbage is neither. */
  private observeSealed(value: string): void {
    const opened = this.cipher?.open(value, CallbackPurpose.Login);
    const result =
      opened?.ok === false && opened.reason === 'wrong_purpose'
        ? this.cipher?.open(value, CallbackPurpose.Logout)
        : opened;
    if (result?.ok) {
      this.add(value, 'sealed callback value');
      this.add(result.plaintext, 'callback payload');
      this.observeJson(parseJson(result.plaintext));
    }
  }

  private observeJson(value: unknown, depth = 0): void {
    if (value === null || typeof value !== 'object' || depth > 8) {
      return;
    }
    for (const [name, member] of Object.entries(value)) {
      if (name === 'phoneNumber') {
        this.addPhoneNumber(member);
      } else {
        this.observeJson(member, depth + 1);
      }
    }
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
