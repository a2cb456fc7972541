// portlens service worker: the app offline after one visit, at the root of
// a host or under a sub-path, and nothing else. go-app fills in the
// version and the list of the app's own files (every URL with the
// sub-path) when `portlens build` writes the site.
//
// What it touches, and why no more:
//   - its base is the directory it is served from ("/portlens/", or "/" at
//     the root of a host). The browser gives it that scope, a path prefix;
//     at the root every path of the origin is in it, so the worker itself
//     keeps to its own: it answers the app's own files (the list below,
//     fixed at build time), navigations to its own pages, and the captures
//     the page marks as read for an embed or a sample (the Portlens-Capture
//     header). Every other request, navigations included, it leaves to the
//     browser without respondWith: another application on the same origin
//     (/other-app/) reaches its server exactly as without this worker.
//   - a response marked Cache-Control: no-store is never cached, nor one
//     that is partial, failed, redirected or from another origin.
//   - it never follows a redirect for a page: it fetches with redirect:
//     "manual" and hands the opaque redirect over (the page refuses it), so
//     no request leaves for another origin on the page's behalf. Only
//     install follows redirects, for the app's own files (hosts redirect
//     /index.html to /), and keeps what ends on this origin.
//   - the scope URL itself ("/sub/path/") is cached too, and navigations to
//     the app's pages are answered from the cache: "/sub/path" is only a
//     redirect on most hosts, and a redirected response cannot answer a
//     navigation;
//   - install waits until every file is cached, so "visited once" really
//     means "works offline" (except files the host marks no-store);
//   - a new version does not take over by itself: it waits until the page
//     asks (the "Update available - reload" banner), so nothing changes under
//     an analysis in progress. The very first install takes over at once.
//   - its caches are named by base and version, and it deletes only its own
//     base's old versions: two portlens sites on one origin keep theirs.
const base = new URL("./", self.location).href;
const cachePrefix = "portlens-";
const cacheSuffix = " " + new URL(base).pathname;
const cacheName = cachePrefix + "{{.Version}}" + cacheSuffix;
const captureHeader = "Portlens-Capture";

// own is the app's files: go-app lists the root as "/sub/path", which hosts
// answer with a redirect (or not at all): the base "/sub/path/" stands for it.
const own = new Set({{.ResourcesToCache}}.map((u) => new URL(u, base).href).filter((u) => u + "/" !== base));
own.add(base);

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(cacheName);
    await Promise.all([...own].map(async (url) => {
      const resp = await fetch(url, { cache: "no-cache" });
      if (!resp.ok || new URL(resp.url).origin !== self.location.origin) {
        throw new Error("caching " + url + ": HTTP " + resp.status + " from " + resp.url);
      }
      await keep(cache, url, await unredirected(resp));
    }));
    if (!self.registration.active) {
      await self.skipWaiting(); // first install: nothing to disturb
    }
  })());
});

// unredirected copies a response that followed a redirect (on this
// origin, install checks): such a response may not answer a navigation.
async function unredirected(resp) {
  if (!resp.redirected) {
    return resp;
  }
  return new Response(await resp.blob(), { status: resp.status, statusText: resp.statusText, headers: resp.headers });
}

// storable reports whether a response may be kept: whole, successful,
// from this origin ("basic"; "default" is install's own copy of one), and
// not marked no-store by the host.
function storable(resp) {
  if (resp.status !== 200 || (resp.type !== "basic" && resp.type !== "default")) {
    return false;
  }
  const cc = (resp.headers.get("Cache-Control") || "").toLowerCase();
  return !cc.split(",").some((d) => d.trim() === "no-store");
}

// keep stores resp under key when it may be kept. A response the Cache
// API refuses (Vary: *) is simply not kept.
async function keep(cache, key, resp) {
  if (!storable(resp)) {
    return;
  }
  try {
    await cache.put(key, resp.clone());
  } catch (err) {
    console.warn("portlens worker: not caching " + key + ": " + err);
  }
}

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    const keys = await caches.keys();
    // Older versions of this base, and caches of workers from before
    // caches were named by base ("portlens-VERSION").
    const old = (k) => k !== cacheName && k.startsWith(cachePrefix) && (k.endsWith(cacheSuffix) || !k.includes(" "));
    await Promise.all(keys.filter(old).map((k) => caches.delete(k)));
    await self.clients.claim();
  })());
});

// The page's "reload" button sends this to the waiting worker.
self.addEventListener("message", (event) => {
  if (event.data && event.data.type === "portlens:activate") {
    self.skipWaiting();
  }
});

// The decision is taken at once, from the request alone: respondWith only
// for what is the app's, nothing for the rest.
self.addEventListener("fetch", (event) => {
  const req = event.request;
  if (req.method !== "GET") {
    return;
  }
  const url = new URL(req.url);
  url.hash = "";
  if (url.origin !== self.location.origin) {
    return; // the browser handles it (the CSP allows nothing else anyway)
  }
  if (req.mode === "navigate") {
    const page = pageOf(url);
    if (page) {
      event.respondWith(navigation(req, page));
    }
    return;
  }
  if (url.search === "" && own.has(url.href)) {
    event.respondWith(ownFile(url.href));
    return;
  }
  if (req.headers.get(captureHeader) === "read") {
    event.respondWith(capture(req, url.href));
  }
});

// pageOf is the cached file that answers a navigation to url, "" when the
// URL is not one of the app's pages: the base, a listed file ("/embed.html",
// "/web/docs.html"), or a listed page without its ".html" ("/embed", as
// hosts that map extensionless paths serve it). The query does not matter:
// the pages read it themselves.
function pageOf(url) {
  const href = url.origin + url.pathname;
  if (!href.startsWith(base)) {
    return "";
  }
  if (own.has(href)) {
    return href;
  }
  if (own.has(href + ".html")) {
    return href + ".html";
  }
  return "";
}

async function navigation(req, page) {
  const cache = await caches.open(cacheName);
  const hit = await cache.match(page);
  if (hit) {
    return hit;
  }
  try {
    return await fetch(req); // a navigation: the browser follows redirects itself
  } catch (err) {
    const shell = await cache.match(base); // the pages of a go-app site are one shell
    if (shell) {
      return shell;
    }
    throw err;
  }
}

// ownFile answers one of the app's files from the cache (install put them
// all there), or from the network when the cache lost it.
async function ownFile(href) {
  const cache = await caches.open(cacheName);
  const hit = await cache.match(href);
  if (hit) {
    return hit;
  }
  const resp = await fetch(href, { redirect: "manual", credentials: "same-origin" });
  await keep(cache, href, resp);
  return resp;
}

// capture reads a capture the page asked for (an embed's src, on this
// origin: the page refuses any other) from the network, so that a capture
// published again shows, and keeps it for offline use. A redirect is handed
// over unopened: the page refuses it.
async function capture(req, href) {
  const cache = await caches.open(cacheName);
  try {
    const mode = req.cache === "only-if-cached" ? "default" : req.cache; // only-if-cached needs mode same-origin
    const resp = await fetch(href, { redirect: "manual", credentials: "same-origin", cache: mode });
    if (req.cache !== "no-store") {
      await keep(cache, href, resp);
    }
    return resp;
  } catch (err) {
    const stale = await cache.match(href);
    if (stale) {
      return stale;
    }
    throw err;
  }
}
