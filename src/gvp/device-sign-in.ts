import { createHmac } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AppConfig } from 'src/config/app-config';
import type { DeviceIdentity } from 'src/gvp/device-token.verifier';
import { GvpRepository, type LinkedUser } from 'src/gvp/gvp.repository';
import { KernelClient } from 'src/kernel/kernel.client';
import type { KernelUserProfile } from 'src/kernel/kernel-response';
import { PhoneNumbers } from 'src/users/phone-numbers';
import { SubscriptionType } from 'src/users/user.entity';
import { generateAuraId } from 'src/users/user-identifiers';
import { DeviceUsers } from 'src/users/device-users';

/** How a device got its auraId. */
export interface SignedIn {
  auraId: string;
  /** linked: the device's link, no Kernel call; created: Kernel authenticated the subscriber. */
  outcome: 'linked' | 'created';
}

/** Rounds of "create, or read what a concurrent sign-in linked"; each one sees what the previous waited for. */
const MAX_LINK_ROUNDS = 3;
const SUBSCRIPTION_TYPES = new Set<string>(Object.values(SubscriptionType));

/**
 * A device's auraId: its link when the linked user is valid and the subscriber unchanged (one SQL
 * statement); else Kernel authenticates the subscriber and the user and its link are created in one
 * statement. Concurrent sign-ins of one device in this replica share one Kernel exchange; across
 * replicas the statement keeps one user and one link.
 */
@Injectable()
export class DeviceSignIn {
  private readonly inFlight = new Map<string, Promise<SignedIn>>();

  constructor(
    private readonly config: AppConfig,
    private readonly devices: GvpRepository,
    private readonly users: DeviceUsers,
    private readonly kernel: KernelClient,
    private readonly phoneNumbers: PhoneNumbers,
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
    return createHmac('sha256', this.config.AUDIT_HMAC_SECRET).update(`gvp:${value}`).digest('hex');
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
    const profile = await this.kernel.authenticate(device.subscriber, correlator);
    for (let round = 0; round < MAX_LINK_ROUNDS; round++) {
      const created = await this.users.create(
        this.newUser(profile, channel, device.deviceId, subscriberHash, link?.auraId ?? null),
      );
      if (created !== undefined) {
        return { auraId: created.aura_id, outcome: 'created' };
      }
      link = await this.devices.findLinkedUser(channel, device.deviceId, subscriberHash);
      if (link !== undefined && usable(link)) {
        return { auraId: link.auraId, outcome: 'linked' };
      }
    }
    throw new Error('The device link kept changing under concurrent sign-ins');
  }

  private newUser(
    profile: KernelUserProfile,
    channel: string,
    deviceId: string,
    subscriberHash: string,
    replacing: string | null,
  ) {
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
      subscriberHash,
      replacing,
    };
  }
}

function usable(link: LinkedUser): boolean {
  return !link.expired && link.sameSubscriber;
}
