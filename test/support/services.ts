import { brokersOf, influxUrlOf, readState } from '../../deploy/dev/services';

/** The real services `npm test` started; a test that needs them fails loudly when run another way. */
export function servicesStateFile(): string {
  const file = process.env.SPINWISE_TEST_SERVICES;
  if (!file)
    throw new Error(
      'SPINWISE_TEST_SERVICES is unset: run the suite with `npm test`, which starts Kafka and InfluxDB',
    );
  return file;
}

export const testBrokers = (): string => brokersOf(readState(servicesStateFile()));
export const testInfluxUrl = (): string => influxUrlOf(readState(servicesStateFile()));
