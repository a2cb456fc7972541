// portlens embed host: for a documentation page that frames portlens
// embeds. It sizes each frame from the height the embed reports, and writes
// the embed's one-line summary into the element marked
// data-portlens-summary="FRAME-ID". Load it with
//   <script src="PORTLENS-SITE/web/embed-host.js" defer></script>
// The message format is in portlens's README ("Embedding").
(function () {
  "use strict";
  window.addEventListener("message", function (event) {
    var m = event.data;
    if (!m || m.type !== "portlens:embed" || m.version !== 1) {
      return;
    }
    var frames = document.getElementsByTagName("iframe");
    for (var i = 0; i < frames.length; i++) {
      var f = frames[i];
      if (f.contentWindow !== event.source) {
        continue;
      }
      if (new URL(f.src, document.baseURI).origin !== event.origin) {
        return; // a message from a page the frame navigated to elsewhere
      }
      if (typeof m.height === "number" && m.height > 0 && m.height < 20000) {
        f.style.setProperty("height", Math.ceil(m.height) + "px");
      }
      f.setAttribute("data-portlens-state", String(m.state));
      var caption = f.id ? document.querySelector('[data-portlens-summary="' + f.id + '"]') : null;
      if (caption && typeof m.summary === "string") {
        caption.textContent = m.summary; // text, never HTML
      }
      f.dispatchEvent(new CustomEvent("portlens:embed", { detail: m, bubbles: true }));
      return;
    }
  });
})();
