// CaseStore (SPEC §6, §8, §13, §14): offline-tolerant, exactly-once sync of cases with the host's
// backend. This file only moves bytes: fetch (or the host's transport), localStorage (the queue),
// IndexedDB (the server's states, js/states.js), Web Locks, timers, listeners. What is pending, confirmed, rejected or renumbered, and which answers of the
// server contradict what was sent, is decided by the engine's Rust replica (src/sync/replica.rs),
// the same code the fault-injection tests run against the real server.
//
// Tabs (SPEC §8): every store is a client of its own. Owning a client id means holding the Web
// Lock named after its storage key, for the page's life; only the owner saves or pushes a queue.
// A store starts with the saved current client id, so a reload resumes its queue; if a live tab
// owns that id, the store forks: a fresh id with only the mutations it made itself. A saved queue
// whose lock nobody holds was left by a closed tab: a live store adopts it, pushes it under its
// own client id (the server dedupes by id) until a pull confirms all of it, reports its
// rejections, then deletes it. Without Web Locks (Node, storage: "memory") a store is the only
// owner, as before.
//
// At a firm's size (SPEC §14): what is saved on every change is the queue alone, a small text in
// localStorage; the server's states go to IndexedDB a pull page at a time, with their cookie, in
// one transaction, before the replica takes the page, so that no saved queue ever lacks a
// mutation whose effect is not stored. A write that fails is reported (`storageError`), and a
// queue that cannot be saved refuses the mutation (`storage-full`): nothing accepted is lost.
import { Engine, Replica } from "./wasm/handoff_engine.js";
import { HandoffError } from "./error.js";
import { openStates } from "./states.js";

const RETRIES = 5;
/** The server's page of cases (SPEC §14): the states kept are taken back as pages this size. */
const PAGE = 1_000;
const FIRST_BACKOFF_MS = 200;
/** The longest a `429 Retry-After` is honoured for, in seconds. */
const MAX_RETRY_AFTER_S = 60;
/** The longest `setTimeout` waits; a longer delay fires at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Try again after a while: no answer in time, a network failure or 5xx (offline), or 429. */
class Retry extends Error {
  /** `waitMs`: how long the server asked to wait; `offline`: false for a 429, which is an answer. */
  constructor(message, { offline = true, waitMs } = {}) {
    super(message);
    this.offline = offline;
    this.waitMs = waitMs;
  }
}
/** The server no longer knows this client's history (409, 410): start over as a new client. */
class Reset extends Error {}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const invalid = (path, message) => new HandoffError("invalid-input", message, { path });
const reason = (error) => String(error?.message || error?.name || error);

function newClientId() {
  return globalThis.crypto?.randomUUID?.() ?? `client-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

function storageFor(kind) {
  if (kind === "memory") return null;
  if (globalThis.localStorage) return globalThis.localStorage;
  if (kind === "local") throw invalid("storage", 'localStorage is not available here; use storage: "memory".');
  return null;
}

/** The queue of a saved text: a first-release one also held the server's states and their
 * cookie, which are left (the first pull is whole), so that its queue reads as this release's. */
function queueText(saved) {
  if (saved === undefined || (!saved.includes('"confirmed"') && !saved.includes('"cookie"'))) return saved;
  try {
    const { confirmed, cookie, ...queue } = JSON.parse(saved);
    return confirmed === undefined && cookie === undefined ? saved : JSON.stringify(queue);
  } catch {
    return saved;
  }
}

/** Calls a listener without letting its exception break the store; the exception still surfaces. */
function tell(listener, value) {
  try {
    listener(value);
  } catch (error) {
    queueMicrotask(() => {
      throw error;
    });
  }
}

/** Seconds from a `Retry-After` header: delta-seconds or an HTTP date; undefined if neither. */
function retryAfterSeconds(header) {
  if (header === null || header === undefined) return undefined;
  if (/^\s*\d+\s*$/.test(header)) return Number(header);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, (at - Date.now()) / 1000);
}

/**
 * Takes the Web Lock `name` if nobody holds it, until the returned function is called; resolves
 * to that function, or to null when another tab (or another store of this page) holds it.
 */
function own(locks, name) {
  return new Promise((resolve, reject) => {
    locks.request(name, { ifAvailable: true }, (lock) => lock && new Promise((release) => resolve(release))).then(() => resolve(null), reject);
  });
}

export class CaseStore {
  #engine;
  /** This store's own queue, `{ replica, release }`; `release` gives up its Web Lock. */
  #own;
  /** Queues adopted from closed tabs, pushed under their own client ids until confirmed. */
  #orphans = [];
  /** Client ids of adopted queues the server refused for good: left for another store. */
  #refused = new Set();
  #baseUrl;
  #headers;
  #transport;
  #timeoutMs;
  #storage;
  #prefix;
  /** `navigator.locks` when tabs share the storage, else undefined (the store is the only owner). */
  #locks;
  /** Settles once this store owns its client id; nothing is saved or pushed before. */
  #ready;
  #owned = false;
  #listeners = new Set();
  #rejectionListeners = new Set();
  #online = true;
  /** A saved queue that could not be read and was set aside. */
  #unreadable = null;
  /** The last failed write of a queue, until one succeeds. */
  #queueError = null;
  /** Why the server's states are not kept for this store's life (a write failed), or null. */
  #statesError = null;
  /** Resolves to the IndexedDB states (js/states.js), or null when they are not kept. */
  #states = Promise.resolve(null);
  #keepClosed;
  /** The configuration version `#engine` was made from (SPEC §9), or null until known. */
  #configVersion = null;
  #syncError = null;
  #inFlight = null;
  #auto = null;

  constructor(engine, options) {
    if (!(engine instanceof Engine)) throw invalid("engine", "CaseStore needs an Engine.");
    if (options === null || typeof options !== "object") throw invalid("", "CaseStore needs options { baseUrl, … }.");
    const {
      baseUrl,
      clientId,
      headers = {},
      transport,
      storage,
      namespace = "default",
      timeoutMs = 30_000,
      keepClosed = false,
      configVersion = null,
      ...rest
    } = options;
    const unknown = Object.keys(rest)[0];
    if (unknown !== undefined) throw invalid(unknown, `CaseStore has no option ${unknown}.`);
    if (typeof baseUrl !== "string" || baseUrl === "") throw invalid("baseUrl", "baseUrl names the sync endpoint, like https://host/sync.");
    if (transport !== undefined && typeof transport !== "function") throw invalid("transport", "transport is a function (path, body) => Promise<{ status, body }>.");
    if (headers === null || typeof headers !== "object" || Object.values(headers).some((v) => typeof v !== "string")) {
      throw invalid("headers", "headers is an object of strings.");
    }
    if (storage !== undefined && storage !== "local" && storage !== "memory") throw invalid("storage", 'storage is "local" or "memory".');
    if (typeof namespace !== "string" || namespace === "") throw invalid("namespace", "namespace is a non-empty string.");
    if (clientId !== undefined && typeof clientId !== "string") throw invalid("clientId", "clientId is a string.");
    if (typeof timeoutMs !== "number" || !(timeoutMs > 0)) throw invalid("timeoutMs", "timeoutMs is a positive number of milliseconds.");
    if (typeof keepClosed !== "boolean") throw invalid("keepClosed", "keepClosed is true or false.");
    if (configVersion !== null && !(Number.isSafeInteger(configVersion) && configVersion >= 1)) {
      throw invalid("configVersion", "configVersion is the version the engine was made from: 1, 2, 3 …");
    }
    this.#configVersion = configVersion;
    this.#engine = engine;
    this.#keepClosed = keepClosed;
    this.#baseUrl = baseUrl.replace(/\/+$/, "");
    this.#headers = { ...headers };
    this.#transport = transport;
    this.#timeoutMs = Math.min(timeoutMs, MAX_TIMER_MS);
    this.#storage = storageFor(storage);
    this.#locks = this.#storage ? globalThis.navigator?.locks : undefined;
    if (this.#storage) this.#states = openStates();
    this.#prefix = `handoff-engine/${namespace}/${this.#baseUrl}`;
    const id = clientId ?? this.#storage?.getItem(this.#prefix) ?? newClientId();
    const key = this.#keyOf(id);
    const saved = this.#storage?.getItem(key) ?? undefined;
    let replica;
    try {
      replica = this.#restore(id, saved);
    } catch (error) {
      if (saved === undefined) throw error;
      // The old numbering is unknown: go on as a new client. The text is set aside by whoever
      // owns its id: this store at once if it is the only owner, else the adopter of orphans.
      replica = new Replica(engine, newClientId(), undefined, keepClosed);
      if (!this.#locks) this.#setAside(id, saved, error);
    }
    this.#own = { replica, release: () => {} };
    if (this.#locks) {
      const restored = replica.clientId === id;
      this.#ready = this.#claim(restored ? (saved ?? null) : null, restored ? [] : [id]);
      // Nothing is saved before the lock is granted; a page that goes away before that (a reload
      // at once) keeps what it did all the same.
      globalThis.addEventListener?.("pagehide", (event) => {
        if (!event.persisted) this.#leave(saved === undefined || !restored);
      });
    } else {
      this.#owned = true;
      this.#ready = this.#loadStates();
    }
    this.#save(this.#own);
  }

  /** Starts a case optimistically and queues it; throws HandoffError if the engine refuses,
   * or `storage-full` if the queue cannot be saved (then nothing is queued). */
  startCase(input, ctx) {
    return this.#accept(this.#own.replica.startCase(input, ctx));
  }

  /** Executes a command optimistically on the case as the user sees it, and queues it. */
  dispatch(caseId, command, ctx) {
    if (typeof caseId !== "string") throw invalid("caseId", "caseId is a string.");
    return this.#accept(this.#own.replica.dispatch(caseId, command, ctx));
  }

  /** Keeps the mutation just queued only if its queue is saved: a mutation the store accepted
   * survives a reload. */
  #accept(outcome) {
    if (!this.#save(this.#own)) {
      this.#own.replica.retractLast();
      this.#tell();
      throw new HandoffError("storage-full", this.#queueError.message, {});
    }
    this.#tell();
    return outcome;
  }

  /** One case's state read from the server on demand (a closed one the store does not keep,
   * say): the server's, without this client's pending mutations (`get` shows those), or null
   * when the server has none this user may see. Not kept. */
  async fetchCase(caseId) {
    if (typeof caseId !== "string") throw invalid("caseId", "caseId is a string.");
    await this.#ready;
    // A pull of this case only, which leaves the cookie where it is (SPEC §14).
    const request = { ...this.#own.replica.pullRequest(), caseIds: [caseId] };
    for (let attempt = 1; ; attempt += 1) {
      try {
        const { cases = [] } = (await this.#exchange("/pull", request)) ?? {};
        const state = cases.find((found) => found?.caseId === caseId) ?? null;
        this.#setOnline(true);
        return state;
      } catch (failure) {
        if (failure instanceof Reset) throw new HandoffError("invalid-request", "The server does not know this client yet; sync first.", {});
        if (!(failure instanceof Retry)) throw failure;
        if (failure.offline) this.#setOnline(false);
        if (attempt > RETRIES) throw new HandoffError("network-error", `The server could not be reached: ${failure.message}.`, {});
        await sleep(failure.waitMs ?? FIRST_BACKOFF_MS * 2 ** (attempt - 1) * (0.5 + Math.random()));
      }
    }
  }

  /** The case as the user should see it: the server's state plus what is pending; or null. */
  get(caseId) {
    return typeof caseId === "string" ? this.#own.replica.view(caseId) : null;
  }

  /** Every case, as the user should see it. */
  list() {
    return this.#own.replica.views();
  }

  get pendingCount() {
    return this.#own.replica.pendingCount;
  }

  /** The engine the store decides with now: replaced when the server's configuration changes. */
  get engine() {
    return this.#engine;
  }

  /** The configuration version of `engine`, or null before the first pull says it. */
  get configVersion() {
    return this.#configVersion;
  }

  /** False after the server could not be reached, until it can again. */
  get online() {
    return this.#online;
  }

  get clientId() {
    return this.#own.replica.clientId;
  }

  /** What went wrong with storage, or null: a write that failed (`storage-full`: the queue,
   * until a save succeeds; or the states, kept no more until a reload), or a saved queue that
   * could not be read and was set aside (`queue-unreadable`, with its `key`). */
  get storageError() {
    return this.#queueError ?? this.#statesError ?? this.#unreadable;
  }

  /** Resolves once this store owns its client id and has the states kept from before a reload;
   * a `get` before that sees only what is pending. */
  get ready() {
    return this.#ready;
  }

  /** Why the last sync failed for good (`{ code, message }` of its HandoffError), or null. */
  get syncError() {
    return this.#syncError;
  }

  /** Pushes what is pending, then pulls. One sync at a time: a call during another gets its promise. */
  sync() {
    this.#inFlight ??= this.#run().finally(() => {
      this.#inFlight = null;
    });
    return this.#inFlight;
  }

  subscribe(listener) {
    if (typeof listener !== "function") throw invalid("listener", "A listener is a function.");
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  onRejected(listener) {
    if (typeof listener !== "function") throw invalid("listener", "A listener is a function.");
    this.#rejectionListeners.add(listener);
    return () => this.#rejectionListeners.delete(listener);
  }

  startAutoSync({ intervalMs = 5_000 } = {}) {
    this.stopAutoSync();
    const run = { stopped: false, timer: undefined };
    const tick = async () => {
      try {
        await this.sync();
      } catch {
        // Reported through `online`, `syncError` and onRejected; the next tick tries again.
      }
      if (!run.stopped) run.timer = setTimeout(tick, Math.max(50, Number(intervalMs) || 5_000));
    };
    run.timer = setTimeout(tick, 0);
    this.#auto = run;
  }

  stopAutoSync() {
    if (this.#auto) {
      this.#auto.stopped = true;
      clearTimeout(this.#auto.timer);
      this.#auto = null;
    }
  }

  #keyOf(clientId) {
    return `${this.#prefix}/${clientId}`;
  }

  /** The replica of `id`, from the text saved under its key if any; invalid-input when that
   * text does not read as a replica, or is another client's. */
  #restore(id, saved) {
    const replica = new Replica(this.#engine, id, queueText(saved), this.#keepClosed);
    if (replica.clientId !== id) throw new HandoffError("invalid-input", `It is the queue of client ${replica.clientId}.`, {});
    return replica;
  }

  /** Owns this store's client id, or forks to a fresh one when a live tab owns it or saved under
   * it since `loaded` was read; then adopts what closed tabs left, looking also at `unreadable`
   * (ids whose saved text did not read). */
  async #claim(loaded, unreadable) {
    const replica = this.#own.replica;
    const key = this.#keyOf(replica.clientId);
    try {
      let release = await own(this.#locks, key);
      if (release && this.#storage.getItem(key) !== loaded) {
        // Its last owner saved more (or its queue was adopted) after this store read it: what
        // this store holds of it is out of date, and that queue is an orphan's to adopt.
        release();
        release = null;
      }
      while (!release) {
        // Nobody holds a fresh id's lock; it is taken before anything is saved under the id.
        const id = newClientId();
        release = await own(this.#locks, this.#keyOf(id));
        if (release) replica.reset(id, true);
      }
      this.#own.release = release;
    } catch {
      // The lock manager refuses (a sandboxed page): no one to coordinate with, as without it.
      this.#locks = undefined;
    }
    this.#owned = true;
    this.#changed();
    await this.#loadStates();
    await this.#adopt(unreadable);
  }

  /** Takes back the server's states kept for this store's client id, with their cookie; with
   * none (or ones kept without closed cases, when this store keeps them) the next pull is whole. */
  async #loadStates() {
    const states = await this.#states;
    if (!states) return;
    const replica = this.#own.replica;
    let kept = null;
    try {
      kept = await states.load(this.#keyOf(replica.clientId));
    } catch {
      // Unreadable: as if nothing were kept.
    }
    if (!kept || (this.#keepClosed && !kept.keepClosed)) return;
    // What was kept is pages this client took: taken again, in pages the size of the server's,
    // they confirm nothing (lastMutationId 0). Only the last sets the kept cookie; until then the
    // cookie is "0", a whole pull, so that a failure half-way never leaves a cookie past states
    // that were not taken back.
    const pages = Math.max(1, Math.ceil(kept.states.length / PAGE));
    try {
      for (let page = 0; page < pages; page += 1) {
        const last = page + 1 === pages;
        const cases = kept.states.slice(page * PAGE, (page + 1) * PAGE);
        replica.stagePull({ cookie: last ? kept.cookie : "0", lastMutationId: 0, configVersion: 0, cases, rejections: [], more: !last });
        replica.applyStaged();
      }
    } catch (error) {
      // Not states this engine reads (another version's, say): said, deleted, and pulled again.
      const message = `The cases kept in IndexedDB could not be read back (${reason(error)}); they are pulled again.`;
      this.#statesError = { code: "states-unreadable", message };
      this.#forgetStates(replica.clientId);
    }
    this.#changed();
  }

  /** Stores the states of a pull page that the replica keeps (`staged.keep`), deletes the held
   * cases it forgets (`staged.forget`), and keeps the page's cookie, before the replica takes
   * it. A write that fails stops the keeping for this store's life, and what was kept is
   * deleted, so that a reload pulls whole rather than trusting a partial copy. */
  async #keep(reply, staged) {
    const states = await this.#states;
    if (!states || this.#statesError) return;
    const key = this.#keyOf(this.#own.replica.clientId);
    try {
      const put = staged.keep.map((index) => reply.cases[index]);
      await states.write(key, { put, forget: staged.forget, meta: { cookie: reply.cookie, keepClosed: this.#keepClosed } });
    } catch (error) {
      const message = `The cases could not be kept in IndexedDB (${reason(error)}); they are pulled again after a reload.`;
      this.#statesError = { code: "storage-full", message };
      states.clear(key).catch(() => {});
    }
  }

  /** Deletes the states kept for client id `id`. */
  #forgetStates(id) {
    this.#states.then((states) => states?.clear(this.#keyOf(id))).catch(() => {});
  }

  /** Saves, as the page goes away, what this store did before it owned its client id. Under that
   * id when nobody else can have it (`ours`: an id of its own, never saved); else under a fresh
   * id with only the mutations made here, an orphan for the next store to adopt, so that the
   * queue it was restored from, which a live tab may own, is left as it was. */
  #leave(ours) {
    if (this.#owned || !this.#storage) return;
    const lane = this.#own;
    if (!ours) {
      lane.replica.reset(newClientId(), true);
      if (lane.replica.pendingCount === 0) return;
    }
    this.#owned = true;
    this.#save(lane);
  }

  /** Takes over the saved queues whose client id's lock nobody holds (their tab closed). */
  async #adopt(unreadable = []) {
    if (!this.#locks) return;
    const start = `${this.#prefix}/`;
    const ids = new Set(unreadable);
    for (let index = 0; index < this.#storage.length; index += 1) {
      const key = this.#storage.key(index);
      if (key?.startsWith(start) && !/\/unreadable\/\d+$/.test(key)) ids.add(key.slice(start.length));
    }
    for (const lane of [this.#own, ...this.#orphans]) ids.delete(lane.replica.clientId);
    for (const id of ids) {
      const release = this.#refused.has(id) ? null : await own(this.#locks, this.#keyOf(id)).catch(() => null);
      if (!release) continue;
      const text = this.#storage.getItem(this.#keyOf(id));
      // Another base URL's keys may extend this prefix: a queue is recognised by its own id.
      if (text === null || (!unreadable.includes(id) && !text.startsWith(`{"clientId":${JSON.stringify(id)},`))) {
        release();
        continue;
      }
      let replica;
      try {
        replica = this.#restore(id, text);
      } catch (error) {
        this.#setAside(id, text, error);
        release();
        this.#changed();
        continue;
      }
      const lane = { replica, release };
      if (replica.pendingCount === 0) this.#retire(lane);
      else this.#orphans.push(lane);
    }
  }

  /** An adopted queue is confirmed whole: delete it, then let its client id go. */
  #retire(lane) {
    this.#storage.removeItem(this.#keyOf(lane.replica.clientId));
    this.#forgetStates(lane.replica.clientId);
    lane.release();
    this.#orphans = this.#orphans.filter((other) => other !== lane);
  }

  /** Keeps text that does not read as a saved queue under a key of its own (never overwriting
   * one), and reports it through `storageError`. */
  #setAside(id, text, error) {
    const key = this.#keyOf(id);
    let aside = key;
    try {
      let n = 1;
      while (this.#storage.getItem(`${key}/unreadable/${n}`) !== null) n += 1;
      this.#storage.setItem(`${key}/unreadable/${n}`, text);
      aside = `${key}/unreadable/${n}`;
      this.#storage.removeItem(key);
    } catch {
      // No room for a copy: the text stays where it was.
    }
    const message = `The saved queue of client ${id} could not be read (${error.message}); its text is kept under ${aside}.`;
    this.#unreadable = { code: "queue-unreadable", message, key: aside };
  }

  async #run() {
    await this.#ready;
    const result = { pushed: 0, applied: 0, rejected: 0, pulled: 0 };
    try {
      await this.#adopt();
      let refused;
      // Adopted queues first: they hold changes made before this store's own.
      for (const lane of this.#orphans) {
        try {
          await this.#syncLane(lane, result);
        } catch (error) {
          if (error.code === "network-error") throw error;
          // Refused for good (another user's queue, say): this store syncs its own and leaves
          // that one in storage for another, reporting the refusal once.
          refused ??= error;
          this.#refused.add(lane.replica.clientId);
          this.#orphans = this.#orphans.filter((other) => other !== lane);
          lane.release();
          continue;
        }
        if (lane.replica.pendingCount === 0) this.#retire(lane);
      }
      await this.#syncLane(this.#own, result);
      if (refused) throw refused;
    } catch (error) {
      this.#syncError = { code: error.code, message: error.message };
      this.#changed();
      throw error;
    }
    if (this.#syncError) {
      this.#syncError = null;
      this.#changed();
    }
    return result;
  }

  async #syncLane(lane, result) {
    let attempts = 0;
    let resets = 0;
    for (;;) {
      try {
        await this.#once(lane, result);
        this.#setOnline(true);
        return;
      } catch (failure) {
        if (failure instanceof Retry) {
          if (failure.offline) this.#setOnline(false);
          attempts += 1;
          if (attempts > RETRIES) {
            throw new HandoffError("network-error", `The server could not be reached: ${failure.message}.`, {});
          }
          // Exponential backoff with jitter: 0.5 to 1.5 times 200 ms × 2^(attempt − 1).
          await sleep(failure.waitMs ?? FIRST_BACKOFF_MS * 2 ** (attempts - 1) * (0.5 + Math.random()));
        } else if (failure instanceof Reset) {
          resets += 1;
          if (resets > 2) throw new HandoffError("invalid-request", "The server keeps refusing this client's history.", {});
          await this.#renew(lane);
        } else {
          throw failure;
        }
      }
    }
  }

  /** Starts `lane` over as a new client (the server lost its history), owning the new id first. */
  async #renew(lane) {
    const old = this.#keyOf(lane.replica.clientId);
    const id = newClientId();
    const release = (this.#locks && (await own(this.#locks, this.#keyOf(id)).catch(() => null))) || (() => {});
    const oldId = lane.replica.clientId;
    lane.replica.reset(id, false);
    this.#storage?.removeItem(old);
    this.#forgetStates(oldId);
    lane.release();
    lane.release = release;
    this.#changed([], lane);
  }

  async #once(lane, result) {
    const { replica } = lane;
    const push = replica.pushRequest();
    if (push) {
      const reply = await this.#exchange("/push", push);
      const rejected = replica.applyPush(reply, push.mutations.at(-1).id);
      result.pushed += push.mutations.length;
      result.applied += reply.results.filter((r) => r.status === "applied").length;
      result.rejected += rejected.length;
      this.#changed(rejected, lane);
    }
    if (lane !== this.#own) {
      // An adopted queue needs its counter and rejections, not the cases: a pull of none.
      const reply = await this.#exchange("/pull", { ...replica.pullRequest(), caseIds: [] });
      await this.#follow(reply);
      replica.stagePull(reply);
      const rejected = replica.applyStaged();
      result.rejected += rejected.length;
      this.#changed(rejected, lane);
      return;
    }
    // Page after page, until the server has no more (SPEC §14); each page's states are stored
    // before the replica takes it. A failure mid-way retries from the last page taken.
    let more = true;
    while (more) {
      const reply = await this.#exchange("/pull", replica.pullRequest());
      await this.#follow(reply);
      const staged = replica.stagePull(reply);
      await this.#keep(reply, staged);
      const rejected = replica.applyStaged();
      result.pulled += reply.cases.length;
      result.rejected += rejected.length;
      this.#changed(rejected, lane);
      more = reply.more === true;
    }
  }

  /** Follows the server's configuration (SPEC §9): when a pull reports another `configVersion`
   * than the engine's (or the store does not know its engine's), fetches `GET /config`, makes a
   * new engine of it, has every queue replay what is pending on it, and tells the listeners. */
  async #follow(reply) {
    const version = reply?.configVersion;
    if (!Number.isSafeInteger(version) || version === this.#configVersion) return;
    const body = await this.#exchange("/config", null);
    if (body === null || typeof body !== "object" || !Number.isSafeInteger(body.configVersion)) {
      throw new HandoffError("protocol-error", "GET /config did not answer a configuration with its configVersion.", {});
    }
    const { configVersion, ...config } = body;
    let engine;
    try {
      engine = new Engine(config);
    } catch (error) {
      throw new HandoffError("protocol-error", `The server's configuration ${configVersion} does not read: ${error.message}`, {});
    }
    this.#engine = engine;
    this.#configVersion = configVersion;
    for (const lane of [this.#own, ...this.#orphans]) lane.replica.setEngine(engine);
    // The engine the store was given stays the caller's, to free when they like.
    this.#changed();
  }

  /** One request, answered within `timeoutMs`; resolves to the body of a 2xx answer. */
  async #exchange(path, body) {
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), this.#timeoutMs);
    let answer;
    try {
      const late = new Promise((_, reject) => timeout.signal.addEventListener("abort", () => reject(new Error("late"))));
      const sent = this.#transport ? this.#transport(path, body) : this.#fetch(path, body, timeout.signal);
      answer = await Promise.race([sent, late]);
    } catch (error) {
      throw new Retry(timeout.signal.aborted ? `no answer within ${this.#timeoutMs} ms` : String(error?.message ?? error));
    } finally {
      clearTimeout(timer);
    }
    const { status, body: reply = null, retryAfter } = answer ?? {};
    if (status >= 200 && status < 300) return reply;
    if (status === 409 || status === 410) throw new Reset();
    if (status === 429) {
      const waitMs = typeof retryAfter === "number" && retryAfter >= 0 ? 1000 * Math.min(retryAfter, MAX_RETRY_AFTER_S) : undefined;
      throw new Retry("HTTP 429, too many requests", { offline: false, waitMs });
    }
    if (!status || status >= 500) throw new Retry(`HTTP ${status}`);
    const reason = reply?.error ? `${reply.error.message} (${reply.error.code})` : `HTTP ${status}`;
    const code = status === 401 ? "unauthenticated" : status === 426 ? "unsupported-schema-version" : "invalid-request";
    throw new HandoffError(code, reason, {});
  }

  async #fetch(path, body, signal) {
    // `GET /config` (body null); the protocol's POSTs otherwise.
    const request = body === null ? { method: "GET", headers: this.#headers, signal }
      : { method: "POST", headers: { "Content-Type": "application/json", ...this.#headers }, body: JSON.stringify(body), signal };
    const response = await fetch(`${this.#baseUrl}${path}`, request);
    const reply = await response.json().catch(() => null);
    return { status: response.status, body: reply, retryAfter: retryAfterSeconds(response.headers.get("Retry-After")) };
  }

  #changed(rejected = [], lane = this.#own) {
    this.#save(lane);
    this.#tell(rejected);
  }

  #tell(rejected = []) {
    const status = {
      pendingCount: this.pendingCount,
      online: this.#online,
      storageError: this.storageError,
      syncError: this.#syncError,
      configVersion: this.#configVersion,
    };
    for (const listener of this.#listeners) tell(listener, status);
    for (const rejection of rejected) for (const listener of this.#rejectionListeners) tell(listener, rejection);
  }

  #setOnline(online) {
    if (this.#online !== online) {
      this.#online = online;
      this.#changed();
    }
  }

  /** Saves a queue under its client id, once this store owns it (an adopted one: always): a
   * small text, whatever the number of cases. False when the storage refused it (quota, private
   * mode): `storageError` says so until a save succeeds. */
  #save(lane) {
    if (!this.#storage || !this.#owned) return true;
    try {
      if (lane === this.#own) this.#storage.setItem(this.#prefix, lane.replica.clientId);
      this.#storage.setItem(this.#keyOf(lane.replica.clientId), lane.replica.save());
      this.#queueError = null;
      return true;
    } catch (error) {
      this.#queueError = { code: "storage-full", message: `The pending queue could not be saved: ${reason(error)}.` };
      return false;
    }
  }
}
