// The field app's service worker (served by hoptac/sync/views_field.py, which puts CONFIG
// above this text). Its scope is the field app's path. It keeps the shell and its assets
// in Cache Storage under the app's version (a hash of the files), so the app opens with no
// network; it never caches the sync API or any other page.
/* global CONFIG */
"use strict";

const PREFIX = `hoptac-field-${CONFIG.shell}-`;
const CACHE = PREFIX + CONFIG.version;
const PRECACHE = [CONFIG.shell, CONFIG.manifest, ...CONFIG.assets];

async function fetchGood(url) {
  const response = await fetch(new Request(url, { cache: "reload", credentials: "same-origin" }));
  // A redirect (to the sign-in page) or an error is not the app: never keep it.
  if (!response.ok || response.redirected || response.type !== "basic") {
    throw new Error(`${url}: ${response.status}`);
  }
  return response;
}

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      const responses = await Promise.all(PRECACHE.map(fetchGood));
      await Promise.all(responses.map((response, i) => cache.put(PRECACHE[i], response)));
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name.startsWith(PREFIX) && name !== CACHE) await caches.delete(name);
      }
      await self.clients.claim();
    })(),
  );
});

async function shell(request) {
  const cache = await caches.open(CACHE);
  const cached = await cache.match(CONFIG.shell);
  const fresh = fetch(request)
    .then(async (response) => {
      if (response.ok && !response.redirected && response.type === "basic") {
        await cache.put(CONFIG.shell, response.clone());
      }
      return response;
    })
    .catch(() => null);
  if (cached) return cached; // at once, from the phone; the fresh copy is for next time
  const response = await fresh;
  return response || new Response("Offline", { status: 503, headers: { "Content-Type": "text/plain" } });
}

async function asset(request) {
  const cache = await caches.open(CACHE);
  const cached = await cache.match(request, { ignoreSearch: true });
  return cached || fetch(request);
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/api/")) return; // the sync API: always the network
  if (url.pathname === CONFIG.shell) {
    if (url.searchParams.has("fresh")) return; // the app asks the server itself (a new CSRF token)
    event.respondWith(shell(request));
    return;
  }
  if (PRECACHE.includes(url.pathname)) event.respondWith(asset(request));
});
