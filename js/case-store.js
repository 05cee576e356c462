// CaseStore (SPEC §6): offline-tolerant, exactly-once sync of cases with the host's backend.
// This file only moves bytes: fetch (or the host's transport), localStorage, timers, listeners.
// What is pending, confirmed, rejected or renumbered is decided by the engine's Rust replica
// (src/sync/replica.rs), the same code the fault-injection tests run against the real server.
import { Engine, Replica } from "./wasm/handoff_engine.js";
import { HandoffError } from "./error.js";

const RETRIES = 5;
const FIRST_BACKOFF_MS = 200;

/** The server could not be reached, or answered 5xx: try again after a while. */
class Retry extends Error {}
/** The server no longer knows this client's history (409, 410): start over as a new client. */
class Reset extends Error {}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const invalid = (path, message) => new HandoffError("invalid-input", message, { path });

function newClientId() {
  return globalThis.crypto?.randomUUID?.() ?? `client-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

function storageFor(kind) {
  if (kind === "memory") return null;
  if (globalThis.localStorage) return globalThis.localStorage;
  if (kind === "local") throw invalid("storage", 'localStorage is not available here; use storage: "memory".');
  return null;
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

export class CaseStore {
  #replica;
  #baseUrl;
  #headers;
  #transport;
  #storage;
  #prefix;
  #listeners = new Set();
  #rejectionListeners = new Set();
  #online = true;
  #inFlight = null;
  #auto = null;

  constructor(engine, options) {
    if (!(engine instanceof Engine)) throw invalid("engine", "CaseStore needs an Engine.");
    if (options === null || typeof options !== "object") throw invalid("", "CaseStore needs options { baseUrl, … }.");
    const { baseUrl, clientId, headers = {}, transport, storage, namespace = "default", ...rest } = options;
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
    this.#baseUrl = baseUrl.replace(/\/+$/, "");
    this.#headers = { ...headers };
    this.#transport = transport;
    this.#storage = storageFor(storage);
    this.#prefix = `handoff-engine/${namespace}/${this.#baseUrl}`;
    const id = clientId ?? this.#storage?.getItem(this.#prefix) ?? newClientId();
    const saved = this.#storage?.getItem(`${this.#prefix}/${id}`) ?? undefined;
    this.#replica = new Replica(engine, id, saved);
    this.#save();
  }

  /** Starts a case optimistically and queues it; throws HandoffError if the engine refuses. */
  startCase(input, ctx) {
    const outcome = this.#replica.startCase(input, ctx);
    this.#changed();
    return outcome;
  }

  /** Executes a command optimistically on the case as the user sees it, and queues it. */
  dispatch(caseId, command, ctx) {
    if (typeof caseId !== "string") throw invalid("caseId", "caseId is a string.");
    const outcome = this.#replica.dispatch(caseId, command, ctx);
    this.#changed();
    return outcome;
  }

  /** The case as the user should see it: the server's state plus what is pending; or null. */
  get(caseId) {
    return typeof caseId === "string" ? this.#replica.view(caseId) : null;
  }

  /** Every case, as the user should see it. */
  list() {
    return this.#replica.views();
  }

  get pendingCount() {
    return this.#replica.pendingCount;
  }

  /** False after the server could not be reached, until it can again. */
  get online() {
    return this.#online;
  }

  get clientId() {
    return this.#replica.clientId;
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
        // Reported through `online` and onRejected; the next tick tries again.
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

  async #run() {
    const result = { pushed: 0, applied: 0, rejected: 0, pulled: 0 };
    let attempts = 0;
    let resets = 0;
    for (;;) {
      try {
        await this.#once(result);
        this.#setOnline(true);
        return result;
      } catch (failure) {
        if (failure instanceof Retry) {
          this.#setOnline(false);
          attempts += 1;
          if (attempts > RETRIES) {
            throw new HandoffError("network-error", `The server could not be reached: ${failure.message}.`, {});
          }
          // Exponential backoff with jitter: 0.5 to 1.5 times 200 ms × 2^(attempt − 1).
          await sleep(FIRST_BACKOFF_MS * 2 ** (attempts - 1) * (0.5 + Math.random()));
        } else if (failure instanceof Reset) {
          resets += 1;
          if (resets > 2) throw new HandoffError("invalid-request", "The server keeps refusing this client's history.", {});
          this.#storage?.removeItem(`${this.#prefix}/${this.#replica.clientId}`);
          this.#replica.reset(newClientId());
          this.#changed();
        } else {
          throw failure;
        }
      }
    }
  }

  async #once(result) {
    const push = this.#replica.pushRequest();
    if (push) {
      const reply = await this.#exchange("/push", push);
      const rejected = this.#replica.applyPush(reply);
      result.pushed += push.mutations.length;
      result.applied += reply.results.filter((r) => r.status === "applied").length;
      result.rejected += rejected.length;
      this.#changed(rejected);
    }
    const reply = await this.#exchange("/pull", this.#replica.pullRequest());
    const rejected = this.#replica.applyPull(reply);
    result.pulled += reply.cases.length;
    result.rejected += rejected.length;
    this.#changed(rejected);
  }

  async #exchange(path, body) {
    let status;
    let reply;
    try {
      if (this.#transport) {
        ({ status, body: reply } = await this.#transport(path, body));
      } else {
        const response = await fetch(`${this.#baseUrl}${path}`, {
          method: "POST",
          headers: { "Content-Type": "application/json", ...this.#headers },
          body: JSON.stringify(body),
        });
        status = response.status;
        reply = await response.json().catch(() => null);
      }
    } catch (error) {
      throw new Retry(String(error?.message ?? error));
    }
    if (status >= 200 && status < 300) return reply;
    if (status === 409 || status === 410) throw new Reset();
    if (!status || status >= 500) throw new Retry(`HTTP ${status}`);
    const reason = reply?.error ? `${reply.error.message} (${reply.error.code})` : `HTTP ${status}`;
    throw new HandoffError(status === 401 ? "unauthenticated" : "invalid-request", reason, {});
  }

  #changed(rejected = []) {
    this.#save();
    const status = { pendingCount: this.pendingCount, online: this.#online };
    for (const listener of this.#listeners) tell(listener, status);
    for (const rejection of rejected) for (const listener of this.#rejectionListeners) tell(listener, rejection);
  }

  #setOnline(online) {
    if (this.#online !== online) {
      this.#online = online;
      this.#changed();
    }
  }

  #save() {
    if (!this.#storage) return;
    try {
      this.#storage.setItem(this.#prefix, this.#replica.clientId);
      this.#storage.setItem(`${this.#prefix}/${this.#replica.clientId}`, this.#replica.save());
    } catch {
      // A full storage keeps the queue in memory; the next change tries again.
    }
  }
}
