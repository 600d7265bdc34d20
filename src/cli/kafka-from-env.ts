import { readFileSync } from 'node:fs';
import type { SASLOptions } from 'kafkajs';
import { KafkaBus } from '../adapters/bus/kafka-bus';
import type { Log } from '../adapters/log/log';
import { CliError } from './cli-error';

const MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;

/**
 * Kafka from the environment: SPINWISE_KAFKA_BROKERS (host:port,…), SPINWISE_KAFKA_TLS=true, and
 * SPINWISE_KAFKA_CA_FILE (a PEM bundle to trust), SPINWISE_KAFKA_REPLICATION_FACTOR for the topics it creates,
 * SPINWISE_KAFKA_SASL_MECHANISM with SPINWISE_KAFKA_USERNAME / SPINWISE_KAFKA_PASSWORD. Null when
 * no brokers are set (the embedded bus).
 */
export function kafkaBusFromEnv(
  env: NodeJS.ProcessEnv,
  clientId: string,
  retryForMs?: number,
  log?: Log,
): KafkaBus | null {
  const brokers = env.SPINWISE_KAFKA_BROKERS;
  if (!brokers) return null;
  const mechanism = env.SPINWISE_KAFKA_SASL_MECHANISM;
  let sasl: SASLOptions | undefined;
  if (mechanism) {
    if (!(MECHANISMS as readonly string[]).includes(mechanism))
      throw new CliError(
        `SPINWISE_KAFKA_SASL_MECHANISM: expected one of ${MECHANISMS.join(', ')}, got "${mechanism}"`,
      );
    if (!env.SPINWISE_KAFKA_USERNAME || !env.SPINWISE_KAFKA_PASSWORD)
      throw new CliError(
        'SPINWISE_KAFKA_SASL_MECHANISM needs SPINWISE_KAFKA_USERNAME and SPINWISE_KAFKA_PASSWORD',
      );
    sasl = {
      mechanism,
      username: env.SPINWISE_KAFKA_USERNAME,
      password: env.SPINWISE_KAFKA_PASSWORD,
    } as SASLOptions;
  }
  const replication = env.SPINWISE_KAFKA_REPLICATION_FACTOR;
  if (replication && !/^\d+$/.test(replication))
    throw new CliError(
      `SPINWISE_KAFKA_REPLICATION_FACTOR: expected a whole number (0: automatic), got "${replication}"`,
    );
  return new KafkaBus({
    brokers: brokers.split(','),
    clientId,
    ssl: tlsOf(env),
    sasl,
    retryForMs,
    log,
    replicationFactor: replication ? Number(replication) : undefined,
  });
}

/** TLS: on with SPINWISE_KAFKA_TLS=true, trusting SPINWISE_KAFKA_CA_FILE's CAs when given (which implies TLS). */
function tlsOf(env: NodeJS.ProcessEnv): boolean | { ca: string[] } {
  const caFile = env.SPINWISE_KAFKA_CA_FILE;
  if (!caFile) return env.SPINWISE_KAFKA_TLS === 'true';
  try {
    return { ca: [readFileSync(caFile, 'utf8')] };
  } catch (err) {
    throw new CliError(
      `SPINWISE_KAFKA_CA_FILE: cannot read ${caFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
}
