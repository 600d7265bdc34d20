import { parseArgs } from 'node:util';
import { EmbeddedBus } from '../adapters/bus/embedded-bus';
import { KafkaBus } from '../adapters/bus/kafka-bus';
import type { MessageBus } from '../adapters/bus/message-bus';
import { EmbeddedStore } from '../adapters/store/embedded-store';
import { InfluxStore } from '../adapters/store/influx-store';
import type { TimeSeriesStore } from '../adapters/store/time-series-store';
import { startAdvisorRuntime } from '../advisor/advisor-runtime';
import { CliError, type CliIo } from './cli-error';
import { parsePort } from './options';

/**
 * `spinwise advisor [--port N] [--host H]`: Kafka, InfluxDB, Slack and the API token from the
 * environment; embedded bus and store when Kafka or InfluxDB is unset.
 */
export async function advisorCommand(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string', default: '8080' },
      host: { type: 'string', default: '0.0.0.0' },
      'public-url': { type: 'string' },
    },
  });
  const port = parsePort(values.port);
  const env = process.env;
  const brokers = env.SPINWISE_KAFKA_BROKERS;
  const influx = env.SPINWISE_INFLUX_URL;
  const bus: MessageBus = brokers
    ? new KafkaBus({ brokers: brokers.split(','), clientId: 'spinwise-advisor' })
    : new EmbeddedBus();
  const retentionMs = 7 * 24 * 3_600_000;
  const store: TimeSeriesStore = influx
    ? new InfluxStore({ url: influx, database: env.SPINWISE_INFLUX_DATABASE ?? 'spinwise', retentionMs })
    : new EmbeddedStore({ database: 'spinwise', retentionMs });
  if (values['public-url'] !== undefined && !/^https?:\/\//.test(values['public-url']))
    throw new CliError(`--public-url: expected an http(s) URL, got "${values['public-url']}"`);
  const runtime = await startAdvisorRuntime(bus, store, {
    port,
    host: values.host,
    apiToken: env.SPINWISE_API_TOKEN || undefined,
    slackWebhookUrl: env.SPINWISE_SLACK_WEBHOOK_URL || undefined,
    publicUrl: values['public-url'] ?? env.SPINWISE_PUBLIC_URL,
    log: (l) => io.err(`${l}\n`),
    onAnalysis: (a) =>
      io.out(
        `${JSON.stringify({ node: a.node, severity: a.severity, findings: a.findings.length, recommendations: a.recommendations.map((r) => r.target) })}\n`,
      ),
  });
  io.err(
    `spinwise advisor: bus ${brokers ? `Kafka ${brokers}` : 'embedded'}, store ${influx ? `InfluxDB ${influx}` : 'embedded'}, Slack ${runtime.slack ? 'on' : 'off'}, API and dashboard on ${values.host}:${port}\n`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await runtime.stop();
  await bus.close();
  await store.close();
  return 0;
}
