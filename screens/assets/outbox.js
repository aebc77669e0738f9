// The steward's outbox: every command the village page sends goes through it, so that
// what a steward does on a tablet without network is kept (IndexedDB, surviving a reload
// or a flat battery) and sent when the server can be reached, in the order it was done.
//
// Each entry carries the Idempotency-Key it was created with, and each photo its own key,
// so sending an entry again after an answer was lost never does it twice: the server
// answers a resent command or photo with its first answer. An entry leaves the outbox
// only on a definite answer. A refusal (the town dismissed the warning meanwhile: 409)
// is kept as a problem, with the warning's state as the server now has it, until the
// steward has read it: a queued command is never dropped silently.

import { api, ApiError, describeError } from "./api.js";
import { outcomeUnknown, sendCommand } from "./commands.js";

const DB_NAME = "qingfeng-outbox";
const COMMANDS = "commands";
const PROBLEMS = "problems";
/** Waits between attempts while the server cannot be reached: 5 s, doubling to a minute. */
const RETRY_FIRST_MS = 5_000;
const RETRY_MAX_MS = 60_000;
/** A photo upload unanswered for this long counts as lost (and is resent with its key). */
const UPLOAD_TIMEOUT_MS = 120_000;

let opened = null;

function database() {
  opened ??= new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => {
      request.result.createObjectStore(COMMANDS, { keyPath: "seq", autoIncrement: true });
      request.result.createObjectStore(PROBLEMS, { keyPath: "seq", autoIncrement: true });
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  return opened;
}

/** Runs `work(store)` in one transaction and resolves when it has committed. */
async function inStore(name, mode, work) {
  const db = await database();
  return new Promise((resolve, reject) => {
    const transaction = db.transaction(name, mode);
    let result;
    const request = work(transaction.objectStore(name));
    if (request) request.onsuccess = () => (result = request.result);
    transaction.oncomplete = () => resolve(result);
    transaction.onerror = () => reject(transaction.error);
    transaction.onabort = () => reject(transaction.error);
  });
}

const all = (name) => inStore(name, "readonly", (store) => store.getAll());
const put = (name, value) => inStore(name, "readwrite", (store) => store.put(value));
const remove = (name, seq) => inStore(name, "readwrite", (store) => store.delete(seq));

/** Whether an error means "try again later" rather than "the server said no". */
function worthRetrying(error) {
  return outcomeUnknown(error) || [401, 408, 429].includes(error.status);
}

export class Outbox {
  /** @param {string} user the signed-in steward: each keeps an outbox of their own. */
  constructor(user) {
    this.user = user;
    this.listeners = new Set();
    this.waiting = new Map();
    this.sending = false;
    /** Why the queue waits: the last error (no network, or the session ended: 401). */
    this.blocked = null;
    this.retryMs = RETRY_FIRST_MS;
    this.retryTimer = null;
    window.addEventListener("online", () => this.flush());
  }

  /** Calls `listener()` whenever the queue or the problems change. */
  onChange(listener) {
    this.listeners.add(listener);
  }

  changed() {
    for (const listener of this.listeners) listener();
  }

  /** This user's queued commands, oldest first. */
  async pending() {
    return (await all(COMMANDS)).filter((entry) => entry.user === this.user).sort((a, b) => a.seq - b.seq);
  }

  /** This user's refused commands not yet read, oldest first. */
  async problems() {
    return (await all(PROBLEMS)).filter((entry) => entry.user === this.user).sort((a, b) => a.seq - b.seq);
  }

  async dismiss(seq) {
    await remove(PROBLEMS, seq);
    this.changed();
  }

  /**
   * Queues one command and sends the queue. Resolves to `{warning}` when this command was
   * sent now, or `{queued: true}` when it waits for the network; rejects with the
   * server's refusal (and forgets the command) when it was refused while the steward
   * waited for it, so the page can show why at once.
   *
   * @param {object} command `{warning, title, label, body, key, photos: [File]}`
   * @param {(text: string) => void} [progress] told what is being sent
   */
  async submit({ warning, title, label, body, key, photos = [] }, progress) {
    const entry = {
      user: this.user,
      warning,
      title,
      label,
      body,
      key,
      photos: photos.map((file, index) => ({
        name: file.name,
        blob: file,
        key: `${key}.photo${index}`,
        id: null,
      })),
      created: new Date().toISOString(),
    };
    entry.seq = await put(COMMANDS, entry);
    const outcome = new Promise((resolve) => this.waiting.set(entry.seq, { resolve, progress }));
    this.changed();
    this.flush();
    const result = await outcome;
    if (result.error) throw result.error;
    return result;
  }

  /** Sends what is queued, in order, unless a send is already under way. */
  async flush() {
    if (this.sending) return;
    this.sending = true;
    clearTimeout(this.retryTimer);
    try {
      // One tab at a time, if the steward has the page open twice.
      if (navigator.locks) await navigator.locks.request(DB_NAME, () => this.sendAll());
      else await this.sendAll();
    } finally {
      this.sending = false;
      this.changed();
    }
  }

  /** Sends the oldest queued command until none is left or one must wait. */
  async sendAll() {
    if (navigator.onLine === false) {
      // No network at all: everything waits, and the browser's `online` event resumes.
      this.blocked = new ApiError(0, { detail: "offline" });
      for (const seq of [...this.waiting.keys()]) this.settle(seq, { queued: true });
      return;
    }
    for (let entry = (await this.pending())[0]; entry; entry = (await this.pending())[0]) {
      const waiter = this.waiting.get(entry.seq);
      try {
        const warning = await this.send(entry, waiter?.progress);
        await remove(COMMANDS, entry.seq);
        this.settle(entry.seq, { warning });
      } catch (error) {
        if (worthRetrying(error)) {
          this.blocked = error;
          for (const seq of [...this.waiting.keys()]) this.settle(seq, { queued: true });
          this.retryLater();
          return;
        }
        await remove(COMMANDS, entry.seq);
        if (waiter) this.settle(entry.seq, { error });
        else await this.keepProblem(entry, error);
      }
      this.blocked = null;
      this.changed();
    }
    this.retryMs = RETRY_FIRST_MS;
  }

  /** Uploads the entry's photos not yet uploaded, then sends the command. */
  async send(entry, progress = () => {}) {
    const path = `/api/warnings/${encodeURIComponent(entry.warning)}`;
    for (const [index, photo] of entry.photos.entries()) {
      if (photo.id) continue;
      progress(`正在上传照片 ${index + 1}/${entry.photos.length}…`);
      const form = new FormData();
      form.append("file", photo.blob, photo.name);
      const answer = await api(`${path}/attachments`, {
        method: "POST",
        form,
        headers: { "Idempotency-Key": photo.key },
        timeoutMs: UPLOAD_TIMEOUT_MS,
      });
      photo.id = answer.id;
      await put(COMMANDS, entry);
    }
    progress("正在提交…");
    const body = entry.photos.length ? { ...entry.body, photos: entry.photos.map((p) => p.id) } : entry.body;
    return sendCommand(entry.warning, body, entry.key);
  }

  settle(seq, result) {
    const waiter = this.waiting.get(seq);
    this.waiting.delete(seq);
    waiter?.resolve(result);
  }

  retryLater() {
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.flush(), this.retryMs);
    this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
  }

  /** Keeps a refusal for the steward to read, with the warning as the server now has it. */
  async keepProblem(entry, error) {
    let now = null;
    try {
      now = await api(`/api/warnings/${encodeURIComponent(entry.warning)}`);
    } catch (reading) {
      console.warn("reading the refused warning", reading);
    }
    await put(PROBLEMS, {
      user: this.user,
      warning: entry.warning,
      title: entry.title,
      label: entry.label,
      created: entry.created,
      status: error instanceof ApiError ? error.status : 0,
      message: describeError(error),
      state: now?.state ?? error.problem?.state ?? null,
      level: now?.level ?? null,
      last_reason: now?.last_reason ?? null,
      at: new Date().toISOString(),
    });
  }
}
