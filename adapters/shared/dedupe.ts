import type Redis from 'ioredis';

/**
 * True the first time a platform's delivery id is seen (Twilio's MessageSid, Slack's event_id),
 * false on a retry or a replay. Kept for a day: longer than any platform retries.
 */
export async function firstDelivery(redis: Redis, prefix: string, kind: string, id: string): Promise<boolean> {
  const result = await redis.set(`${prefix}:seen:${kind}:${id}`, '1', 'EX', 86_400, 'NX');
  return result === 'OK';
}
