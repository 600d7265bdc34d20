import { parseArgs } from 'node:util';
import { EmbeddedBus } from '../adapters/bus/embedded-bus';
import { KafkaBus } from '../adapters/bus/kafka-bus';
import type { MessageBus } from '../adapters/bus/message-bus';
import { EmbeddedStore } from '../adapters/store/embedded-store';
import { InfluxStore } from '../adapters/store/influx-store';
import type { TimeSeriesStore } from '../adapters/store/time-series-store';
import { AdvisorCore } from '../advisor/advisor-core';
import { createAdvisorApp } from '../advisor/http/create-app';
import { CliError, type CliIo } from './cli-error';

/** `spinwise advisor [--port N] [--host H]`: Kafka and InfluxDB from the environment, embedded otherwise. */
export async function advisorCommand(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { port: { type: 'string', default: '8080' }, host: { type: 'string', default: '0.0.0.0' } },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new CliError(`--port: expected a TCP port, got "${values.port}"`);
  const brokers = process.env.SPINWISE_KAFKA_BROKERS;
  const influx = process.env.SPINWISE_INFLUX_URL;
  const bus: MessageBus = brokers
    ? new KafkaBus({ brokers: brokers.split(','), clientId: 'spinwise-advisor' })
    : new EmbeddedBus();
  const retentionMs = 7 * 24 * 3_600_000;
  const store: TimeSeriesStore = influx
    ? new InfluxStore({ url: influx, database: 'spinwise', retentionMs })
    : new EmbeddedStore({ database: 'spinwise', retentionMs });
  const core = new AdvisorCore(bus, store, {
    log: (l) => io.err(`${l}\n`),
    onAnalysis: (a) =>
      io.out(
        `${JSON.stringify({ node: a.node, severity: a.severity, findings: a.findings.length, recommendations: a.recommendations.map((r) => r.target) })}\n`,
      ),
  });
  await core.start();
  const app = await createAdvisorApp(core);
  await app.listen(port, values.host);
  io.err(
    `spinwise advisor: bus ${brokers ? `Kafka ${brokers}` : 'embedded'}, store ${influx ? `InfluxDB ${influx}` : 'embedded'}, API on ${values.host}:${port}\n`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await app.close();
  await core.stop();
  await bus.close();
  return 0;
}
