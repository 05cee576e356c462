// The server's case states, kept in IndexedDB apart from the queue (SPEC §14): written a page at
// a time, never whole, each client id's states together with the cookie they are as of, in one
// transaction, so that what a reload finds is always a snapshot and its cookie. Bytes only: which
// states to keep and which to forget is the replica's to say.
const NAME = "handoff-engine";
const CASES = "cases";
const META = "meta";

const settled = (request) =>
  new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });

const committed = (transaction) =>
  new Promise((resolve, reject) => {
    transaction.oncomplete = () => resolve();
    transaction.onerror = () => reject(transaction.error);
    transaction.onabort = () => reject(transaction.error ?? new Error("the transaction was aborted"));
  });

/** The states database, or null where IndexedDB is missing or refuses (private mode, say). */
export async function openStates() {
  const factory = globalThis.indexedDB;
  if (!factory || !globalThis.IDBKeyRange) return null;
  try {
    const opening = factory.open(NAME, 1);
    opening.onupgradeneeded = () => {
      opening.result.createObjectStore(CASES);
      opening.result.createObjectStore(META);
    };
    const db = await settled(opening);
    // A newer page upgrading the database: let it.
    db.onversionchange = () => db.close();
    return new States(db);
  } catch {
    return null;
  }
}

class States {
  #db;

  constructor(db) {
    this.#db = db;
  }

  /** Every case state kept under `key`: keys are `[key, caseId]`, and arrays sort after strings. */
  #all(key) {
    return globalThis.IDBKeyRange.bound([key], [key, []]);
  }

  /** `{ cookie, keepClosed, states }` kept under `key`, or null. */
  async load(key) {
    const transaction = this.#db.transaction([CASES, META], "readonly");
    const [meta, states] = await Promise.all([
      settled(transaction.objectStore(META).get(key)),
      settled(transaction.objectStore(CASES).getAll(this.#all(key))),
    ]);
    return meta ? { ...meta, states } : null;
  }

  /** Stores `put`, deletes the cases `forget` names and sets `meta`, all or nothing. */
  write(key, { put, forget, meta }) {
    const transaction = this.#db.transaction([CASES, META], "readwrite");
    const cases = transaction.objectStore(CASES);
    for (const state of put) cases.put(state, [key, state.caseId]);
    for (const caseId of forget) cases.delete([key, caseId]);
    transaction.objectStore(META).put(meta, key);
    return committed(transaction);
  }

  /** Deletes everything kept under `key`. */
  clear(key) {
    const transaction = this.#db.transaction([CASES, META], "readwrite");
    transaction.objectStore(CASES).delete(this.#all(key));
    transaction.objectStore(META).delete(key);
    return committed(transaction);
  }
}
