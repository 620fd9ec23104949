import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { storageConformance } from '../conformance/suite.js';
import { openDuckDbStorage } from './duckdb-storage.js';

storageConformance('duckdb', async () => {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'tributary-duckdb-'));
  const open = () => openDuckDbStorage({ dataDir, memoryLimit: '256MB', threads: 2 });
  return {
    storage: await open(),
    reopen: open,
    cleanup: () => rm(dataDir, { recursive: true, force: true }),
  };
});
