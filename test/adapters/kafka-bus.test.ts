import { KafkaBus } from '../../src/adapters/bus/kafka-bus';
import { testBrokers } from '../support/services';
import { busContract } from './bus-contract';

busContract(
  'kafka (real broker)',
  () => new KafkaBus({ brokers: [testBrokers()], clientId: 'spinwise-contract' }),
);
