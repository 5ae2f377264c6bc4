// The live screen refreshes its panel every 3 seconds (a static file: the
// Content-Security-Policy allows no inline script); the page keeps its scroll. Without
// JavaScript a <noscript> refresh reloads the page. Also: "Copy" buttons of buyers' links.
(function () {
  "use strict";
  var panel = document.getElementById("live-panel");
  if (panel && window.fetch) {
    var url = panel.getAttribute("data-refresh");
    var busy = false;
    var tick = function () {
      if (busy || document.hidden) return;
      busy = true;
      fetch(url, { credentials: "same-origin", cache: "no-store" })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) { if (html !== null) panel.innerHTML = html; })
        .catch(function () {})
        .then(function () { busy = false; });
    };
    setInterval(tick, 3000);
  }
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    if (!navigator.clipboard) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(button.getAttribute("data-copy")).then(function () {
        button.classList.add("copied");
      });
    });
  });
})();
