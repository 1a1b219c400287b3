// Imported models in the store: schema v2 migrates a v1 database (its data kept), a model's
// record and files are written together or not at all, listed, read back and deleted.
import { describe, expect, it } from 'vitest';
import { IDBFactory } from 'fake-indexeddb';
import { CheckpointError, StorageQuotaError } from '../../../src/core/errors';
import { MIGRATIONS, openLabDb } from '../../../src/store/schema';
import type { ModelRecord } from '../../../src/store/schema';
import { LabStore } from '../../../src/store/store';
import { corpusInput, dump, freshStore, makeCorpus } from './helpers';

function record(id: string, createdAt: number): ModelRecord {
  return {
    id,
    name: `model ${id}`,
    source: { kind: 'import', files: [{ name: 'config.json', bytes: 10 }] },
    info: { kind: 'de', layers: 2, hidden: 16, heads: 2, ffn: 32, maxQueryLen: 16, maxPassageLen: 24, maxPositions: 64, vocabSize: 50, params: 1234, tokenizer: 'hashed-word' },
    createdAt,
  };
}
const files = (n: number) => ({ configJson: '{"model_type":"bert"}', vocabTxt: '[PAD]\n', safetensors: new Uint8Array(n).fill(7).buffer });

describe('imported models in the store', () => {
  it('a v1 database migrates to v2 with its corpora kept and the model stores added', async () => {
    const factory = new IDBFactory();
    const v1 = await openLabDb({ indexedDB: factory, migrations: MIGRATIONS.slice(0, 1) });
    expect(Array.from(v1.objectStoreNames)).not.toContain('models');
    v1.close();
    const { store } = await freshStore({ indexedDB: factory, migrations: MIGRATIONS.slice(0, 1) });
    await store.writeCorpus(corpusInput(makeCorpus('old', 12)), {});
    store.close();
    const upgraded = await LabStore.open({ indexedDB: factory, locks: null, storage: null });
    expect(upgraded.db.version).toBe(2);
    expect(Array.from(upgraded.db.objectStoreNames)).toEqual(expect.arrayContaining(['models', 'modelFiles']));
    expect((await upgraded.listCorpora()).map((c) => c.name)).toContain('old');
    expect(await upgraded.listModels()).toEqual([]);
    upgraded.close();
  });

  it('stores, lists (oldest first), reads back and deletes a model with its files', async () => {
    const { store } = await freshStore();
    await store.putModel(record('b', 2), files(8));
    await store.putModel(record('a', 1), files(4));
    expect((await store.listModels()).map((m) => m.id)).toEqual(['a', 'b']);
    expect((await store.getModel('b'))?.info.params).toBe(1234);
    const f = await store.loadModelFiles('b');
    expect(new Uint8Array(f.safetensors)).toEqual(new Uint8Array(8).fill(7));
    expect(f.vocabTxt).toBe('[PAD]\n');
    expect(await store.deleteModel('b')).toBe(true);
    expect(await store.deleteModel('b')).toBe(false);
    expect((await store.listModels()).map((m) => m.id)).toEqual(['a']);
    await expect(store.loadModelFiles('b')).rejects.toBeInstanceOf(CheckpointError);
    store.close();
  });

  it('a failed write leaves nothing: neither the record nor the files', async () => {
    const { store } = await freshStore();
    await store.putModel(record('keep', 1), files(4));
    const before = await dump(store.db);
    // A quota failure inside the transaction, as a full disk would raise it.
    const put = IDBObjectStore.prototype.put;
    let calls = 0;
    IDBObjectStore.prototype.put = function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['put']>) {
      if (this.name === 'modelFiles' && calls++ === 0) throw new DOMException('quota', 'QuotaExceededError');
      return put.apply(this, args);
    };
    try {
      await expect(store.putModel(record('new', 2), files(16))).rejects.toBeInstanceOf(StorageQuotaError);
    } finally {
      IDBObjectStore.prototype.put = put;
    }
    expect(await dump(store.db)).toBe(before);
    expect((await store.listModels()).map((m) => m.id)).toEqual(['keep']);
    store.close();
  });
});
