import { Injectable, Logger } from '@nestjs/common';
import { Database, type Tx } from 'src/database/database';

/** The PostgreSQL channel every replica listens on (docs/revocation.md). */
export const INVALIDATION_CHANNEL = 'aura_auth_invalidation';

const KIND = /^[a-z][a-z0-9-]{0,31}$/;
const MAX_ID_LENGTH = 256;

/** What travels in a notification: the kind of thing that changed, its id, and when it was published (epoch ms). */
export interface Invalidation {
  kind: string;
  id: string;
  publishedAt: number;
}

export type InvalidationHandler = (id: string) => void;
export type ResetHandler = () => void;

/**
 * Invalidation of in-memory state across replicas.
 *
 * - `publish(tx, kind, id)` runs `pg_notify` inside the caller's transaction, so the notification is
 *   delivered to every replica exactly when (and only if) the change commits. It also applies the
 *   handlers of this process at once, so the process that made the change never serves the old state.
 * - `on(kind, handler)` registers what to drop when an id of that kind changes (handlers are synchronous,
 *   idempotent and cheap: they run on every replica for every change of that kind, possibly twice here).
 * - `onReset(handler)` registers what to flush when notifications may have been missed (the listening
 *   connection dropped or came back).
 * - `listening` tells caches whether they may trust notifications; while false they fall back to a short TTL.
 */
@Injectable()
export class Invalidations {
  private readonly logger = new Logger(Invalidations.name);
  private readonly handlers = new Map<string, InvalidationHandler[]>();
  private readonly resetHandlers: ResetHandler[] = [];
  private listeningNow = false;

  constructor(private readonly database: Database) {}

  get listening(): boolean {
    return this.listeningNow;
  }

  on(kind: string, handler: InvalidationHandler): void {
    assertKind(kind);
    this.handlers.set(kind, [...(this.handlers.get(kind) ?? []), handler]);
  }

  onReset(handler: ResetHandler): void {
    this.resetHandlers.push(handler);
  }

  /** Must be called with the transaction that makes the change. */
  async publish(tx: Tx, kind: string, id: string): Promise<void> {
    assertKind(kind);
    if (id.length === 0 || id.length > MAX_ID_LENGTH) {
      throw new Error(`invalidation id must be 1-${MAX_ID_LENGTH} characters`);
    }
    const payload = JSON.stringify({ k: kind, i: id, t: Date.now() });
    await this.database.notify(INVALIDATION_CHANNEL, payload, tx);
    this.apply(kind, id);
  }

  /** A notification as it arrives on the listening connection; undefined when the payload is not one of ours. */
  parse(payload: string | undefined): Invalidation | undefined {
    try {
      const parsed = JSON.parse(payload ?? '') as { k?: unknown; i?: unknown; t?: unknown };
      if (
        typeof parsed.k === 'string' &&
        KIND.test(parsed.k) &&
        typeof parsed.i === 'string' &&
        typeof parsed.t === 'number'
      ) {
        return { kind: parsed.k, id: parsed.i, publishedAt: parsed.t };
      }
    } catch {
      // Not JSON: ignored below.
    }
    return undefined;
  }

  /** Whether any handler is registered for the kind (metrics label only known kinds). */
  knows(kind: string): boolean {
    return this.handlers.has(kind);
  }

  apply(kind: string, id: string): void {
    for (const handler of this.handlers.get(kind) ?? []) {
      this.safely(() => handler(id));
    }
  }

  /** Called by the listener: `false` flushes (notifications may be lost from now on), `true` flushes again (some may have been lost). */
  setListening(listening: boolean): void {
    this.listeningNow = listening;
    for (const handler of this.resetHandlers) {
      this.safely(handler);
    }
  }

  private safely(run: () => void): void {
    try {
      run();
    } catch (error) {
      this.logger.error({ err: error }, 'invalidation handler failed');
    }
  }
}

function assertKind(kind: string): void {
  if (!KIND.test(kind)) {
    throw new Error(`invalidation kind must match ${KIND.source}`);
  }
}
