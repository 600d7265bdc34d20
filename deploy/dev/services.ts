import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isAlive } from './process';
import { influxReady, InfluxState, resumeInflux, startInflux, stopInflux } from './influxdb';
import { kafkaReady, KafkaState, resumeKafka, startKafka, stopKafka } from './kafka';
import { KUBE_VERSION, kubeReady, type KubeState, resumeKube, startKube, stopKube } from './kube';

/**
 * Local real services for tests and benchmarks: `start` writes a state file that
 * tests read (ports, pids, directories) and `stop` removes everything it started.
 */
export interface ServicesState {
  root: string;
  /** Absent when the run needs no broker (npm test starts what its selected tests need). */
  kafka?: KafkaState;
  influx?: InfluxState;
  /** A real control plane (etcd + kube-apiserver), only when asked for. */
  kube?: KubeState;
}

const started = <T>(what: string, x: T | undefined): T => {
  if (!x)
    throw new Error(
      `${what} was not started for this run (npm test starts it when a selected test needs it)`,
    );
  return x;
};
export const brokersOf = (s: ServicesState): string => `127.0.0.1:${started('Kafka', s.kafka).port}`;
export const influxUrlOf = (s: ServicesState): string =>
  `http://127.0.0.1:${started('InfluxDB', s.influx).port}`;

export function readState(file: string): ServicesState {
  return JSON.parse(readFileSync(file, 'utf8')) as ServicesState;
}

export function writeState(file: string, state: ServicesState): void {
  writeFileSync(file, JSON.stringify(state, null, 2));
}

export async function startServices(
  stateFile: string,
  options: { kafka?: boolean; influx?: boolean; kube?: boolean } = {},
): Promise<ServicesState> {
  const root = mkdtempSync(join(tmpdir(), 'spinwise-services-'));
  const [kafka, influx, kube] = await Promise.all([
    options.kafka === false ? undefined : startKafka(join(root, 'kafka')),
    options.influx === false ? undefined : startInflux(join(root, 'influxdb')),
    options.kube ? startKube(join(root, 'kube')) : undefined,
  ]);
  const state = { root, kafka, influx, kube };
  writeState(stateFile, state);
  return state;
}

export async function stopServices(stateFile: string): Promise<void> {
  const state = readState(stateFile);
  await Promise.all([
    state.kafka ? stopKafka(state.kafka) : undefined,
    state.influx ? stopInflux(state.influx) : undefined,
    state.kube ? stopKube(state.kube) : undefined,
  ]);
  rmSync(state.root, { recursive: true, force: true });
  rmSync(stateFile, { force: true });
}

/** Stops the broker, runs `whileDown`, starts it again on the same data; tests use this to prove retries. */
export async function withKafkaDown<T>(stateFile: string, whileDown: () => Promise<T>): Promise<T> {
  const state = readState(stateFile);
  const kafka = started('Kafka', state.kafka);
  await stopKafka(kafka);
  try {
    return await whileDown();
  } finally {
    state.kafka = await resumeKafka(kafka);
    writeState(stateFile, state);
  }
}

export async function withInfluxDown<T>(stateFile: string, whileDown: () => Promise<T>): Promise<T> {
  const state = readState(stateFile);
  const influx = started('InfluxDB', state.influx);
  await stopInflux(influx);
  try {
    return await whileDown();
  } finally {
    state.influx = await resumeInflux(influx);
    writeState(stateFile, state);
  }
}

/** Stops the API server and etcd, runs `whileDown`, starts both again on the same data. */
export async function withKubeDown<T>(stateFile: string, whileDown: () => Promise<T>): Promise<T> {
  const state = readState(stateFile);
  if (!state.kube)
    throw new Error('no control plane was started (npm test starts one for the Kubernetes tests)');
  await stopKube(state.kube, false);
  try {
    return await whileDown();
  } finally {
    state.kube = await resumeKube(state.kube);
    writeState(stateFile, state);
  }
}

export const kubeDescription = (s: KubeState): string =>
  `kube-apiserver ${KUBE_VERSION} https://127.0.0.1:${s.port} (etcd 127.0.0.1:${s.etcdPort})`;

async function check(stateFile: string): Promise<string> {
  const state = readState(stateFile);
  await kafkaReady(brokersOf(state), 5_000);
  await influxReady(influxUrlOf(state), 5_000);
  if (state.kube) await kubeReady(state.kube, 5_000);
  return `${state.kube ? `${kubeDescription(state.kube)}, ` : ''}kafka ${brokersOf(state)} (pid ${state.kafka!.pid}, alive ${isAlive(state.kafka!.pid)}), influxdb ${influxUrlOf(state)} (pid ${state.influx!.pid})`;
}

/** `node dist/deploy/dev/services.js start|check|stop [state-file]` */
export async function servicesCli(argv: string[]): Promise<number> {
  const [command, file = join(process.cwd(), '.cache', 'services.json')] = argv.filter((a) => a !== '--kube');
  if (command === 'start') {
    const s = await startServices(file, { kube: argv.includes('--kube') });
    process.stdout.write(
      `SPINWISE_KAFKA_BROKERS=${brokersOf(s)}\nSPINWISE_INFLUX_URL=${influxUrlOf(s)}\nstate: ${file}\n${s.kube ? `SPINWISE_KUBECONFIG=${s.kube.kubeconfig}\n` : ''}`,
    );
  } else if (command === 'check') process.stdout.write(`${await check(file)}\n`);
  else if (command === 'stop') await stopServices(file);
  else {
    process.stderr.write('usage: services start [state-file] [--kube] | check|stop [state-file]\n');
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
