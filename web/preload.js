// portlens: the page before its WebAssembly runs.
//
// Until app.wasm is loaded and running (seconds on a slow link), the page
// is go-app's prerendered HTML: the "Open capture" button and the samples
// are there, but no Go is behind them yet. This script runs before anything
// else: it keeps what the user chooses or drops meanwhile, says so, and
// hands it over once: the page calls portlensPreload.take() when it mounts
// (app/opener.go, Page.openQueued) and its own handlers do the rest. It
// also keeps a file dropped where nothing takes it from replacing the tab.
"use strict";
(() => {
  let queued = null; // {file: File} or {sample: "seed-....pcap"}
  let taken = false; // the page has taken over

  // The app page, not the embed view (which has no file button).
  const appPage = () => document.getElementById("file-input") !== null;

  function keep(q, name) {
    queued = q;
    const main = document.getElementById("main");
    if (!main) {
      return;
    }
    let note = document.getElementById("queued");
    if (!note) {
      note = document.createElement("p");
      note.id = "queued";
      note.className = "notice queued";
      note.setAttribute("role", "status");
      main.prepend(note);
    }
    note.textContent = name + " will be read as soon as portlens has loaded, in this tab: nothing is uploaded.";
  }

  const hasFiles = (e) => !!e.dataTransfer && Array.from(e.dataTransfer.types || []).includes("Files");

  document.addEventListener("change", (e) => {
    const t = e.target;
    if (taken || !t) {
      return;
    }
    if (t.id === "file-input" && t.files && t.files.length > 0) {
      keep({ file: t.files[0] }, t.files[0].name);
    } else if (t.id === "sample-select" && t.value) {
      keep({ sample: t.value }, t.value);
    }
  }, true);

  document.addEventListener("click", (e) => {
    const b = !taken && e.target && e.target.closest ? e.target.closest("button.sample") : null;
    if (b && b.id.startsWith("sample-")) {
      keep({ sample: b.id.slice("sample-".length) }, b.id.slice("sample-".length));
    }
  }, true);

  window.addEventListener("dragover", (e) => {
    if (hasFiles(e)) {
      e.preventDefault();
    }
  });
  window.addEventListener("drop", (e) => {
    if (!hasFiles(e)) {
      return;
    }
    e.preventDefault(); // never let the browser open the file in place of the page
    const files = e.dataTransfer.files;
    if (!taken && appPage() && files.length > 0) {
      keep({ file: files[0] }, files[0].name);
    }
  });

  // The service worker's first install fetches and stores every file of the
  // site, app.wasm included. go-app's app.js registers it at once, so on a
  // first visit that install competes with the page's own download and
  // compile of app.wasm: measured on 2 cores, interactive 0.45 s later. The
  // registration waits here until Go has rendered the page (its root gets
  // data-state), or 10 s after load if it never does. Repeat visits lose
  // nothing: the worker already installed answers them from its cache.
  const sw = navigator.serviceWorker;
  if (sw && typeof sw.register === "function") {
    const register = sw.register.bind(sw);
    const rendered = new Promise((resolve) => {
      const root = () => document.getElementById("portlens");
      const check = () => {
        const r = root();
        if (r && r.dataset.state) {
          watch.disconnect();
          resolve();
        }
      };
      const watch = new MutationObserver(check);
      watch.observe(document, { subtree: true, attributes: true, attributeFilter: ["data-state"] });
      window.addEventListener("load", () => setTimeout(resolve, 10000));
    });
    sw.register = (...args) => rendered.then(() => register(...args));
  }

  window.portlensPreload = {
    take() {
      taken = true;
      const q = queued;
      queued = null;
      return q;
    },
  };
})();
