import { codecs, TOPICS, ValidationError, type Codec } from '../../telemetry';
import type { BusMessage, BusProducer, MessageHandler } from './message-bus';

/**
 * Wraps a typed handler: a message that fails validation goes to spinwise.deadletter.v1 with the
 * reason and its original bytes, and the consumer moves on. Nothing invalid reaches `handle`.
 */
export function routeInvalidToDeadLetter<T>(
  codec: Codec<T>,
  deadLetters: BusProducer,
  handle: (value: T, message: BusMessage) => Promise<void>,
): MessageHandler {
  return async (message) => {
    let value: T;
    try {
      value = codec.decode(message.value);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      await deadLetters.send(TOPICS.deadLetter, [
        {
          key: message.key,
          value: codecs.deadLetter.encode({
            schema: 'spinwise.deadletter.v1',
            sourceTopic: message.topic,
            partition: message.partition,
            offset: message.offset,
            key: message.key,
            reason: err.message,
            valueBase64: message.value.toString('base64'),
            failedAtMs: Date.now(),
          }),
        },
      ]);
      return;
    }
    await handle(value, message);
  };
}
