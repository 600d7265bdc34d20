import { EmbeddedStore } from '../../src/adapters/store/embedded-store';
import { storeContract } from './store-contract';

storeContract('embedded', (database) => new EmbeddedStore({ database, retentionMs: 3_600_000 }));
