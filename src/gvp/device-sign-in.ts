import { createHmac } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectThrottlerStorage, type ThrottlerStorage } from '@nestjs/throttler';
import { AuditSettings } from 'src/audit/audit.settings';
import { Database } from 'src/database/database';
import { GvpSettings } from 'src/gvp/gvp.settings';
import type { DeviceIdentity } from 'src/gvp/device-token.verifier';
import { GvpRepository, type LinkedUser } from 'src/gvp/gvp.repository';
import { GvpError, GvpStatusCode } from 'src/gvp/gvp.errors';
import { KernelClient } from 'src/kernel/kernel.client';
import { KernelError, KernelErrorCode } from 'src/kernel/kernel.errors';
import type { KernelUserProfile } from 'src/kernel/kernel-response';
import { PhoneNumbers } from 'src/users/phone-numbers';
import { SubscriptionType } from 'src/users/user.entity';
import { generateAuraId } from 'src/users/user-identifiers';
import { DeviceUsers, type NewDeviceUser } from 'src/users/device-users';

/** How a device got its auraId. */
export interface SignedIn {
  auraId: string;
  /** linked: the device's link, no Kernel call; created: Kernel authenticated the subscriber. */
  outcome: 'linked' | 'created';
}

/** Rounds of "create, or read what a concurrent sign-in linked"; each one sees what the previous waited for. */
const MAX_LINK_ROUNDS = 3;
const SUBSCRIPTION_TYPES = new Set<string>(Object.values(SubscriptionType));
/** Most unknown subscribers remembered at once per replica; the oldest are forgotten first. */
const MAX_UNKNOWN_SUBSCRIBERS = 10_000;

/** Rolls back a device user whose link a concurrent sign-in of the device wrote first. */
class LinkTaken extends Error {}

/**
 * A device's auraId: its link when the linked user is valid and the subscriber unchanged (one SQL
 * statement); else Kernel authenticates the subscriber and the user and its link are created in one
 * transaction. Concurrent sign-ins of one device in this replica share one Kernel exchange; across
 * replicas the link's conditional upsert keeps one user and one link.
 */
@Injectable()
export class DeviceSignIn {
  private readonly inFlight = new Map<string, Promise<SignedIn>>();
  /** Subscriber hash → when Kernel's 321 for it stops being remembered (insertion order: oldest first). */
  private readonly unknownSubscribers = new Map<string, number>();

  constructor(
    private readonly config: GvpSettings,
    private readonly audit: AuditSettings,
    private readonly devices: GvpRepository,
    private readonly users: DeviceUsers,
    private readonly database: Database,
    private readonly kernel: KernelClient,
    private readonly phoneNumbers: PhoneNumbers,
    @InjectThrottlerStorage() private readonly counters: ThrottlerStorage,
  ) {}

  signIn(device: DeviceIdentity, channel: string, correlator: string): Promise<SignedIn> {
    const subscriberHash = this.hash(device.subscriber);
    const key = `${channel}\n${device.deviceId}\n${subscriberHash}`;
    const running = this.inFlight.get(key);
    if (running !== undefined) {
      return running;
    }
    const started = this.resolve(device, channel, subscriberHash, correlator).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, started);
    return started;
  }

  /** Keyed hash of an identifier: what the link stores of the subscriber, and what logs may show of a device. */
  hash(value: string): string {
    return createHmac('sha256', this.audit.AUDIT_HMAC_SECRET).update(`gvp:${value}`).digest('hex');
  }

  private async resolve(
    device: DeviceIdentity,
    channel: string,
    subscriberHash: string,
    correlator: string,
  ): Promise<SignedIn> {
    let link = await this.devices.findLinkedUser(channel, device.deviceId, subscriberHash);
    if (link !== undefined && usable(link)) {
      return { auraId: link.auraId, outcome: 'linked' };
    }
    const profile = await this.authenticate(device, channel, subscriberHash, correlator);
    for (let round = 0; round < MAX_LINK_ROUNDS; round++) {
      const created = await this.createLinked(
        this.newUser(profile, channel, device.deviceId),
        subscriberHash,
        link?.auraId ?? null,
      );
      if (created !== undefined) {
        return { auraId: created, outcome: 'created' };
      }
      link = await this.devices.findLinkedUser(channel, device.deviceId, subscriberHash);
      if (link !== undefined && usable(link)) {
        return { auraId: link.auraId, outcome: 'linked' };
      }
    }
    throw new Error('The device link kept changing under concurrent sign-ins');
  }

  /**
   * The user and the device's link to it, in one transaction; undefined (nothing written) when a concurrent
   * sign-in of the device linked it first, unless the link still pointed at `replacing`.
   */
  private async createLinked(
    user: NewDeviceUser,
    subscriberHash: string,
    replacing: string | null,
  ): Promise<string | undefined> {
    try {
      return await this.database.transaction(async (tx) => {
        const created = await this.users.create(user, tx);
        const link = {
          channel: user.channel,
          deviceId: user.deviceId,
          auraId: created.aura_id,
          subscriberHash,
          replacing,
        };
        if (!(await this.devices.link(link, tx))) {
          throw new LinkTaken();
        }
        return created.aura_id;
      });
    } catch (error) {
      if (error instanceof LinkTaken) {
        return undefined;
      }
      throw error;
    }
  }

  /**
   * Kernel's JWT-bearer grant, unless the answer is known: a subscriber Kernel just said it does not know is
   * answered 321 again without asking (an unknown subscriber retrying, or many devices of one, would otherwise
   * reach Kernel every time); and a device past its first sign-ins of the window is answered 371.
   */
  private async authenticate(
    device: DeviceIdentity,
    channel: string,
    subscriberHash: string,
    correlator: string,
  ): Promise<KernelUserProfile> {
    const now = Date.now();
    const unknownUntil = this.unknownSubscribers.get(subscriberHash);
    if (unknownUntil !== undefined) {
      if (unknownUntil > now) {
        throw new KernelError(KernelErrorCode.SubjectUnknown, 'Kernel does not know the subscriber (remembered)');
      }
      this.unknownSubscribers.delete(subscriberHash);
    }
    const window = await this.counters.increment(
      `gvp-first-sign-in:${channel}:${this.hash(device.deviceId)}`,
      this.config.GVP_FIRST_SIGN_IN_WINDOW_SECONDS * 1000,
      this.config.GVP_FIRST_SIGN_IN_LIMIT,
      this.config.GVP_FIRST_SIGN_IN_WINDOW_SECONDS * 1000,
      'gvp-first-sign-in',
    );
    if (window.isBlocked) {
      throw new GvpError(GvpStatusCode.RateLimited, 429, 'rate_limited', 'too many first sign-ins of this device', {
        'retry-after': String(Math.max(1, window.timeToBlockExpire || window.timeToExpire)),
      });
    }
    try {
      return await this.kernel.authenticate(device.subscriber, correlator);
    } catch (error) {
      if (error instanceof KernelError && error.code === KernelErrorCode.SubjectUnknown) {
        this.rememberUnknown(subscriberHash);
      }
      throw error;
    }
  }

  private rememberUnknown(subscriberHash: string): void {
    const ttlMs = this.config.GVP_UNKNOWN_SUBSCRIBER_TTL_SECONDS * 1000;
    if (ttlMs === 0) {
      return;
    }
    this.unknownSubscribers.delete(subscriberHash);
    this.unknownSubscribers.set(subscriberHash, Date.now() + ttlMs);
    while (this.unknownSubscribers.size > MAX_UNKNOWN_SUBSCRIBERS) {
      const oldest = this.unknownSubscribers.keys().next().value;
      if (oldest === undefined) {
        break;
      }
      this.unknownSubscribers.delete(oldest);
    }
  }

  private newUser(profile: KernelUserProfile, channel: string, deviceId: string): NewDeviceUser {
    // A phone number Kernel wrote in a way that cannot be normalised is left out rather than stored as is.
    const phoneNumber =
      profile.phoneNumber === null ? null : (this.phoneNumbers.tryNormalize(profile.phoneNumber) ?? null);
    const subscriptionType =
      profile.subscriptionType !== null && SUBSCRIPTION_TYPES.has(profile.subscriptionType.toLowerCase())
        ? (profile.subscriptionType.toLowerCase() as SubscriptionType)
        : null;
    return {
      auraId: generateAuraId(),
      auraIdGlobal: this.users.auraIdGlobal({ phoneNumber, userId: profile.userId }),
      userId: profile.userId,
      channel,
      phoneNumber,
      subscriptionType,
      authorizationId: profile.authorizationId,
      deviceId,
    };
  }
}

function usable(link: LinkedUser): boolean {
  return !link.expired && link.sameSubscriber;
}
