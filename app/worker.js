// portlens service worker: the whole site offline after one visit, at the
// root of a host or under a sub-path. go-app fills in {{.Version}} and
// {{.ResourcesToCache}} (every URL already carries the sub-path).
//
// Differences from go-app's default worker, and why:
//   - the scope URL itself ("/sub/path/") is cached too, and every navigation
//     in scope is answered from the cache: "/sub/path" is only a redirect on
//     most hosts, and a redirected response cannot answer a navigation;
//   - install waits until everything is cached, so "visited once" really
//     means "works offline";
//   - a new version does not take over by itself: it waits until the page
//     asks (the "Update available - reload" banner), so nothing changes under
//     an analysis in progress. The very first install takes over at once.
//   - other same-origin GETs (a capture a documentation page publishes for
//     the embed) go to the network and are kept for offline use.
const cacheName = "portlens-{{.Version}}";
const resourcesToCache = {{.ResourcesToCache}};
const scope = self.registration.scope;

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(cacheName);
    // go-app lists the root as "/sub/path", which hosts answer with a
    // redirect (or not at all): the scope "/sub/path/" stands for it.
    const urls = new Set(resourcesToCache.map((u) => new URL(u, scope).href).filter((u) => u + "/" !== scope));
    urls.add(scope);
    await Promise.all([...urls].map(async (url) => {
      const resp = await fetch(url, { cache: "no-cache" });
      if (!resp.ok) {
        throw new Error("caching " + url + ": HTTP " + resp.status);
      }
      await cache.put(url, await unredirected(resp));
    }));
    if (!self.registration.active) {
      await self.skipWaiting(); // first install: nothing to disturb
    }
  })());
});

// unredirected copies a response that followed a redirect: such a response
// may not answer a navigation.
async function unredirected(resp) {
  if (!resp.redirected) {
    return resp;
  }
  return new Response(await resp.blob(), { status: resp.status, statusText: resp.statusText, headers: resp.headers });
}

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    const keys = await caches.keys();
    await Promise.all(keys.filter((k) => k.startsWith("portlens-") && k !== cacheName).map((k) => caches.delete(k)));
    await self.clients.claim();
  })());
});

// The page's "reload" button sends this to the waiting worker.
self.addEventListener("message", (event) => {
  if (event.data && event.data.type === "portlens:activate") {
    self.skipWaiting();
  }
});

self.addEventListener("fetch", (event) => {
  const req = event.request;
  if (req.method !== "GET" || new URL(req.url).origin !== self.location.origin) {
    return; // the browser handles it (the CSP allows nothing else anyway)
  }
  event.respondWith(answer(req));
});

async function answer(req) {
  const cache = await caches.open(cacheName);
  const url = new URL(req.url);
  if (req.mode === "navigate" && url.href.startsWith(scope)) {
    // The pages of a go-app site are one shell that routes on the path.
    const hit = await cache.match(req, { ignoreSearch: true });
    if (hit) {
      return hit;
    }
    try {
      return await fetch(req);
    } catch (err) {
      const shell = await cache.match(scope);
      if (shell) {
        return shell;
      }
      throw err;
    }
  }
  const hit = await cache.match(req);
  if (hit) {
    return hit;
  }
  try {
    const resp = await fetch(req);
    if (resp.ok && resp.type === "basic" && !resp.redirected) {
      await cache.put(req, resp.clone());
    }
    return resp;
  } catch (err) {
    const stale = await cache.match(req, { ignoreSearch: true });
    if (stale) {
      return stale;
    }
    throw err;
  }
}
