// The steward's service worker, served as /screens/village/sw.js so that it controls the
// village pages only (its scope is /screens/village/): the walls and offices are on wired
// networks and always read the server.
//
// What it does: keeps the page (the app shell) and what the page last read of its tasks,
// so that a tablet with no network opens the village page and its tasks as they were.
// Everything is network first: with a network the steward always sees the server's
// answer (and the copy is renewed); only when the network fails, or gives nothing within
// a few seconds, is the copy used. Answers served from the copy carry the header
// `X-Qingfeng-Offline` with the time they were kept, so the page can say it is offline.
//
// What it does not do: send commands. A command is never answered from a copy; the page
// queues what cannot be sent (`outbox.js`) and sends it with its idempotency key when the
// server can be reached again.

const SHELL = "qingfeng-shell-v1";
const DATA = "qingfeng-data-v1";
/** A slow network is given this long before the copy is used (a real answer still renews it). */
const PATIENCE_MS = 4000;
/** At most this many answers are kept; the oldest go first. */
const MAX_DATA_ENTRIES = 400;

const SHELL_FILES = [
  "/screens/assets/api.js",
  "/screens/assets/commands.js",
  "/screens/assets/evidence.js",
  "/screens/assets/live.js",
  "/screens/assets/outbox.js",
  "/screens/assets/village.js",
  "/screens/assets/wall.js",
  "/screens/assets/wall.css",
  "/screens/assets/village.css",
  "/screens/assets/favicon.svg",
];

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(SHELL)
      .then((cache) => cache.addAll(SHELL_FILES.map((url) => new Request(url, { cache: "no-store" }))))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(self.clients.claim());
});

/** The reads the village page makes that are worth keeping for a day without network. */
function keptRead(url) {
  const path = url.pathname;
  return (
    path === "/api/auth/me" ||
    path === "/api/rules" ||
    path === "/api/warnings" ||
    /^\/api\/warnings\/[^/]+$/.test(path) ||
    /^\/api\/attachments\/[0-9a-f]{32}$/.test(path)
  );
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && url.pathname.startsWith("/screens/village/")) {
    event.respondWith(networkFirst(request, SHELL, url.pathname));
  } else if (url.pathname.startsWith("/screens/assets/")) {
    event.respondWith(networkFirst(request, SHELL, url.pathname));
  } else if (keptRead(url)) {
    event.respondWith(networkFirst(request, DATA, url.pathname + url.search));
  }
});

/**
 * The network's answer, kept under `key`; else, if the network fails or is slow, the copy.
 * Only successful answers are kept: a 401 must reach the page (the session ended) and a
 * copy must never hide it, so a 401 also drops every kept answer of the signed-out user.
 */
async function networkFirst(request, cacheName, key) {
  const cache = await caches.open(cacheName);
  const fromNetwork = fetch(request, { cache: "no-store" }).then(async (response) => {
    if (response.ok) {
      await keep(cache, key, response.clone());
    } else if (response.status === 401) {
      await caches.delete(DATA);
    }
    return response;
  });
  fromNetwork.catch(() => {}); // a failure is handled below, or after the copy was used
  const slow = new Promise((resolve) => setTimeout(resolve, PATIENCE_MS, "slow"));
  try {
    const first = await Promise.race([fromNetwork, slow]);
    if (first !== "slow") return first;
    const copy = await fromCopy(cache, key);
    return copy || (await fromNetwork);
  } catch (error) {
    const copy = await fromCopy(cache, key);
    if (copy) return copy;
    throw error;
  }
}

async function keep(cache, key, response) {
  const headers = new Headers(response.headers);
  headers.set("X-Qingfeng-Offline", new Date().toISOString());
  const body = await response.blob();
  await cache.put(key, new Response(body, { status: response.status, statusText: response.statusText, headers }));
  const keys = await cache.keys();
  for (const old of keys.slice(0, Math.max(0, keys.length - MAX_DATA_ENTRIES))) {
    await cache.delete(old);
  }
}

async function fromCopy(cache, key) {
  return (await cache.match(key)) || null;
}

// The page asks for its kept answers to be dropped at sign-in and sign-out, so a shared
// tablet never shows one steward's tasks to the next.
self.addEventListener("message", (event) => {
  if (event.data === "forget-data") event.waitUntil(caches.delete(DATA));
});
