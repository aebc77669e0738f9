// The live stream client every screen shares: one WebSocket on `/ws?scope=...`, a snapshot
// then ordered deltas, reconnecting by itself with backoff and resuming with `epoch` and
// `since`. It marks the page stale (`body[data-stale="true"]`, which shows the banner
// "数据已断开 · 正在重连…") whenever it is disconnected or has heard nothing for too long.
// A stream closed with 4001 (session ended) sends the screen to sign-in instead.

import { api, ApiError, goToLogin } from "./api.js";

/** The server pings an idle stream every 20 s (checked every 5 s); silence beyond this
 * means the connection is dead even if the socket has not noticed. */
export const STALE_AFTER_MS = 35_000;
const BACKOFF_FIRST_MS = 500;
const BACKOFF_MAX_MS = 5_000;
/** After this many failed attempts in a row, check whether the sign-in is still valid
 * (a browser cannot see why an upgrade was refused). */
const CHECK_SESSION_AFTER = 3;
/** The close code the server ends a stream with when its token expired or was signed out
 * (see src/ws/mod.rs); the screen must sign in again. */
export const SESSION_ENDED = 4001;

export class LiveFeed {
  /**
   * @param {object} options
   * @param {string} options.scope `city`, `town:CODE` or `village:CODE`
   * @param {(message: object) => void} options.onSnapshot the whole state of the scope
   * @param {(message: object) => void} options.onDelta the changes of one window, in order
   * @param {(stale: boolean) => void} [options.onStale]
   */
  constructor({ scope, onSnapshot, onDelta, onStale = () => {}, staleAfterMs = STALE_AFTER_MS }) {
    this.scope = scope;
    this.onSnapshot = onSnapshot;
    this.onDelta = onDelta;
    this.onStale = onStale;
    this.staleAfterMs = staleAfterMs;
    this.epoch = null;
    this.seq = null;
    this.socket = null;
    this.lastHeard = 0;
    this.failures = 0;
    this.retryTimer = null;
    this.closed = false;
    this.stale = null;
    this.markStale(true);
    this.watchdog = setInterval(() => this.check(), 1000);
    window.addEventListener("online", () => this.reconnectSoon(0));
    document.addEventListener("visibilitychange", () => {
      if (!document.hidden && !this.isOpen()) this.reconnectSoon(0);
    });
  }

  start() {
    this.connect();
    return this;
  }

  /** Stops for good (the page is leaving). */
  close() {
    this.closed = true;
    clearInterval(this.watchdog);
    clearTimeout(this.retryTimer);
    this.socket?.close();
  }

  isOpen() {
    return this.socket?.readyState === WebSocket.OPEN;
  }

  url() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const params = new URLSearchParams({ scope: this.scope });
    if (this.epoch !== null && this.seq !== null) {
      params.set("epoch", this.epoch);
      params.set("since", String(this.seq));
    }
    return `${scheme}://${location.host}/ws?${params}`;
  }

  connect() {
    if (this.closed) return;
    clearTimeout(this.retryTimer);
    const socket = new WebSocket(this.url());
    this.socket = socket;
    let heardAny = false;
    socket.onmessage = (event) => {
      if (socket !== this.socket) return;
      heardAny = true;
      this.failures = 0;
      this.lastHeard = Date.now();
      this.receive(event.data);
      this.check();
    };
    socket.onclose = (event) => {
      if (socket !== this.socket) return;
      this.socket = null;
      this.markStale(true);
      if (event.code === SESSION_ENDED) {
        // The sign-in expired or was signed out: reconnecting would only be refused.
        this.close();
        goToLogin();
        return;
      }
      if (!heardAny) this.failures += 1;
      this.reconnectSoon();
    };
    socket.onerror = () => socket.close();
  }

  /** Schedules the next attempt: exponential backoff with jitter, capped. */
  reconnectSoon(delay) {
    if (this.closed) return;
    clearTimeout(this.retryTimer);
    if (this.socket) {
      const old = this.socket;
      this.socket = null;
      old.close();
    }
    const backoff = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** Math.min(this.failures, 6));
    const wait = delay ?? backoff * (0.5 + Math.random() / 2);
    this.retryTimer = setTimeout(() => this.retry(), wait);
  }

  async retry() {
    if (this.failures >= CHECK_SESSION_AFTER && this.failures % CHECK_SESSION_AFTER === 0) {
      try {
        await api("/api/auth/me");
      } catch (error) {
        if (error instanceof ApiError && error.status === 401) {
          goToLogin();
          return;
        }
      }
    }
    this.connect();
  }

  receive(text) {
    let message;
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    if (message.type === "snapshot") {
      this.epoch = message.epoch;
      this.seq = message.seq;
      this.onSnapshot(message);
    } else if (message.type === "delta") {
      if (message.epoch !== this.epoch || this.seq === null) {
        // A different server run: what we hold cannot be continued. Start afresh.
        this.epoch = null;
        this.seq = null;
        this.reconnectSoon(0);
      } else if (message.seq <= this.seq) {
        // Already applied (deltas carry absolute values, so this is only a duplicate).
      } else if (message.seq > this.seq + 1) {
        // A gap: resume from what we hold; the server replays or sends a snapshot.
        this.reconnectSoon(0);
      } else {
        this.seq = message.seq;
        this.onDelta(message);
      }
    }
  }

  check() {
    const silent = Date.now() - this.lastHeard > this.staleAfterMs;
    if (this.isOpen() && silent) {
      // Open but mute for too long: assume the connection died on the way.
      this.reconnectSoon(0);
    }
    this.markStale(!this.isOpen() || silent);
  }

  markStale(stale) {
    if (stale === this.stale) return;
    this.stale = stale;
    document.body.dataset.stale = stale ? "true" : "false";
    this.onStale(stale);
  }
}
