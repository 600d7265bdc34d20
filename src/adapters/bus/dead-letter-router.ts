import { codecs, ValidationError, type Codec } from '../../telemetry';
import type { DeadLetterBatch } from './dead-letter-batch';
import type { BusMessage, MessageHandler, OutgoingMessage } from './message-bus';

/** A message for spinwise.deadletter.v1: where it came from, why it was refused, its original bytes. */
export function deadLetterOf(
  source: Pick<BusMessage, 'topic' | 'partition' | 'offset' | 'key' | 'value'>,
  reason: string,
): OutgoingMessage {
  return {
    key: source.key,
    value: codecs.deadLetter.encode({
      schema: 'spinwise.deadletter.v1',
      sourceTopic: source.topic,
      partition: source.partition,
      offset: source.offset,
      key: source.key,
      reason: reason.slice(0, 2_000),
      valueBase64: source.value.toString('base64'),
      failedAtMs: Date.now(),
    }),
  };
}

/**
 * Wraps a typed handler: a message that fails validation goes to spinwise.deadletter.v1 with the
 * reason and its original bytes (sent with the batch's others: flush `deadLetters` in the consumer's
 * `afterBatch`), and the consumer moves on. Nothing invalid reaches `handle`.
 */
export function routeInvalidToDeadLetter<T>(
  codec: Codec<T>,
  deadLetters: DeadLetterBatch,
  handle: (value: T, message: BusMessage) => Promise<void>,
): MessageHandler {
  return async (message) => {
    let value: T;
    try {
      value = codec.decode(message.value);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      await deadLetters.add(deadLetterOf(message, err.message));
      return;
    }
    await handle(value, message);
  };
}
