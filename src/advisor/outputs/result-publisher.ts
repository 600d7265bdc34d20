import type { BusProducer, MessageBus, OutgoingMessage } from '../../adapters/bus/message-bus';
import { GroupSend } from '../../lib/group-send';

/**
 * The advisor's producer: findings, analyses, alert transitions and dead letters. `add` groups
 * what is offered meanwhile into a few produce requests. A send that fails replaces the producer:
 * seen on a real broker, a kafkajs producer that was sending when the broker went away kept
 * failing with the old connection's error after it came back; a fresh one connects anew.
 */
export class ResultPublisher implements BusProducer {
  private producer: BusProducer;
  private readonly batch = new GroupSend<{ topic: string; message: OutgoingMessage }>(async (items) => {
    const topics = [...new Set(items.map((i) => i.topic))];
    await Promise.all(
      topics.map((t) =>
        this.send(
          t,
          items.filter((i) => i.topic === t).map((i) => i.message),
        ),
      ),
    );
  });

  constructor(private readonly bus: MessageBus) {
    this.producer = bus.producer();
  }

  /** Resolves once the message (sent with others offered meanwhile) is acknowledged. */
  add(topic: string, message: OutgoingMessage): Promise<void> {
    return this.batch.add({ topic, message });
  }

  async send(topic: string, messages: OutgoingMessage[]): Promise<void> {
    const producer = this.producer;
    try {
      await producer.send(topic, messages);
    } catch (err) {
      if (this.producer === producer) {
        this.producer = this.bus.producer();
        void producer.close().catch(() => undefined);
      }
      throw err;
    }
  }

  close(): Promise<void> {
    return this.producer.close();
  }
}
