import { IncomingWebhook } from '@slack/webhook';
import type { SlackMessage } from './spin-alert-message';

/**
 * The `post` for SlackAlerter through @slack/webhook (8.x: transport options such as `timeout` stay
 * out of the posted JSON); the URL, a secret, stays inside the client. Retries are SlackAlerter's.
 */
export function webhookPost(url: string, timeoutMs = 10_000): (message: SlackMessage) => Promise<void> {
  const webhook = new IncomingWebhook(url, { timeout: timeoutMs });
  return async (message) => {
    await webhook.send({ text: message.text, blocks: message.blocks as never });
  };
}
