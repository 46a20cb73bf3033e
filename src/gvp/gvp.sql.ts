import type { Statement } from 'src/database/database';

/** The SQL of the GVP device links (`gvp_device_links`) kept as SQL, run by the GVP repository. */

/**
 * The user a device is linked to, and whether the subscriber now signing in (`subscriberHash`) is its own:
 * the sign-in of a known device, one statement (the benchmark's baseline runs the same one).
 */
export const FIND_LINKED_USER: Statement<
  { channel: string; deviceId: string; subscriberHash: string },
  { aura_id: string; expired: boolean; same_subscriber: boolean }
> = {
  name: 'gvp_find_linked_user',
  text: `
SELECT l.aura_id, u.expires_at <= now() AS expired, l.subscriber_hash = $3 AS same_subscriber
FROM gvp_device_links l JOIN aura_users u ON u.aura_id = l.aura_id
WHERE l.channel = $1 AND l.device_id = $2`,
  params: ({ channel, deviceId, subscriberHash }) => [channel, deviceId, subscriberHash],
};
