import { EmbeddedBus } from '../../src/adapters/bus/embedded-bus';
import { busContract } from './bus-contract';

busContract('embedded', () => new EmbeddedBus());
