import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isAlive } from './process';
import { influxReady, InfluxState, resumeInflux, startInflux, stopInflux } from './influxdb';
import { kafkaReady, KafkaState, resumeKafka, startKafka, stopKafka } from './kafka';

/**
 * Local real services for tests and benchmarks: `start` writes a state file that
 * tests read (ports, pids, directories) and `stop` removes everything it started.
 */
export interface ServicesState {
  root: string;
  kafka: KafkaState;
  influx: InfluxState;
}

export const brokersOf = (s: ServicesState): string => `127.0.0.1:${s.kafka.port}`;
export const influxUrlOf = (s: ServicesState): string => `http://127.0.0.1:${s.influx.port}`;

export function readState(file: string): ServicesState {
  return JSON.parse(readFileSync(file, 'utf8')) as ServicesState;
}

export function writeState(file: string, state: ServicesState): void {
  writeFileSync(file, JSON.stringify(state, null, 2));
}

export async function startServices(stateFile: string): Promise<ServicesState> {
  const root = mkdtempSync(join(tmpdir(), 'spinwise-services-'));
  const [kafka, influx] = await Promise.all([
    startKafka(join(root, 'kafka')),
    startInflux(join(root, 'influxdb')),
  ]);
  const state = { root, kafka, influx };
  writeState(stateFile, state);
  return state;
}

export async function stopServices(stateFile: string): Promise<void> {
  const state = readState(stateFile);
  await Promise.all([stopKafka(state.kafka), stopInflux(state.influx)]);
  rmSync(state.root, { recursive: true, force: true });
  rmSync(stateFile, { force: true });
}

/** Stops the broker, runs `whileDown`, starts it again on the same data; tests use this to prove retries. */
export async function withKafkaDown<T>(stateFile: string, whileDown: () => Promise<T>): Promise<T> {
  const state = readState(stateFile);
  await stopKafka(state.kafka);
  try {
    return await whileDown();
  } finally {
    state.kafka = await resumeKafka(state.kafka);
    writeState(stateFile, state);
  }
}

export async function withInfluxDown<T>(stateFile: string, whileDown: () => Promise<T>): Promise<T> {
  const state = readState(stateFile);
  await stopInflux(state.influx);
  try {
    return await whileDown();
  } finally {
    state.influx = await resumeInflux(state.influx);
    writeState(stateFile, state);
  }
}

async function check(stateFile: string): Promise<string> {
  const state = readState(stateFile);
  await kafkaReady(brokersOf(state), 5_000);
  await influxReady(influxUrlOf(state), 5_000);
  return `kafka ${brokersOf(state)} (pid ${state.kafka.pid}, alive ${isAlive(state.kafka.pid)}), influxdb ${influxUrlOf(state)} (pid ${state.influx.pid})`;
}

/** `node dist/deploy/dev/services.js start|check|stop [state-file]` */
export async function servicesCli(argv: string[]): Promise<number> {
  const [command, file = join(process.cwd(), '.cache', 'services.json')] = argv;
  if (command === 'start') {
    const s = await startServices(file);
    process.stdout.write(
      `SPINWISE_KAFKA_BROKERS=${brokersOf(s)}\nSPINWISE_INFLUX_URL=${influxUrlOf(s)}\nstate: ${file}\n`,
    );
  } else if (command === 'check') process.stdout.write(`${await check(file)}\n`);
  else if (command === 'stop') await stopServices(file);
  else {
    process.stderr.write('usage: services start|check|stop [state-file]\n');
    return 2;
  }
  return 0;
}

if (require.main === module) {
  servicesCli(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (err: Error) => {
      process.stderr.write(`services: ${err.message}\n`);
      process.exitCode = 1;
    },
  );
}
