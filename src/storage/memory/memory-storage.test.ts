import { storageConformance } from '../conformance/suite.js';
import { openMemoryStorage } from './memory-storage.js';

storageConformance('memory', async () => ({ storage: openMemoryStorage(), cleanup: async () => undefined }));
