import type { Statement } from 'src/database/database';

/** The SQL of the GVP device links (`gvp_device_links`), run by the GVP repository. */

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

/**
 * Links the device to a user just created in the same transaction. A link that exists is moved to it only
 * when it still points at `$5`, the auraId the caller found unusable (expired, or another subscriber's);
 * otherwise nothing is written or returned: a concurrent sign-in of the device won (the insert waited for its
 * commit), and the caller rolls back and reads the link again. A conditional upsert: TypeORM's upsert cannot
 * say "only where".
 */
export const LINK_DEVICE: Statement<
  { channel: string; deviceId: string; auraId: string; subscriberHash: string; replacing: string | null },
  { aura_id: string }
> = {
  name: 'gvp_link_device',
  text: `
INSERT INTO gvp_device_links AS l (channel, device_id, aura_id, subscriber_hash)
VALUES ($1, $2, $3, $4)
ON CONFLICT (channel, device_id) DO UPDATE SET aura_id = EXCLUDED.aura_id,
  subscriber_hash = EXCLUDED.subscriber_hash, created_at = now()
WHERE l.aura_id = $5::varchar
RETURNING aura_id`,
  params: (link) => [link.channel, link.deviceId, link.auraId, link.subscriberHash, link.replacing],
};
