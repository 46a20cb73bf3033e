import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import type { DeviceCaller } from 'src/auth/caller';
import { presentedDeviceToken } from 'src/auth/credentials';
import { RequestStrategy } from 'src/auth/passport/request.strategy';
import { DeviceTokenVerifier } from 'src/gvp/device-token.verifier';

export const DEVICE_STRATEGY = 'gvp-device';

/**
 * A GVP device: its session token (seed 002's one parameter, `token`), verified against GVP's keys. A
 * missing or bad token is GVP's code 30, answered in GVP's envelope by the routes' filter.
 */
@Injectable()
export class GvpDeviceStrategy extends PassportStrategy(RequestStrategy, DEVICE_STRATEGY) {
  constructor(private readonly verifier: DeviceTokenVerifier) {
    super();
  }

  async validate(request: FastifyRequest): Promise<DeviceCaller> {
    const device = await this.verifier.verify(presentedDeviceToken(request));
    return { kind: 'device', deviceId: device.deviceId, subscriber: device.subscriber };
  }
}
