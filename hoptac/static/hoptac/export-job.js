// The page of an export being written: ask for its progress every two seconds and move the
// bar; reload when it is finished (the page then shows the download link). Without
// JavaScript, the page's refresh does the same every five seconds.
(function () {
  var box = document.querySelector("[data-export-status]");
  if (!box || !box.dataset.exportStatus || !window.fetch) {
    return;
  }
  var bar = document.getElementById("export-progress");
  var percent = document.getElementById("export-percent");
  function poll() {
    fetch(box.dataset.exportStatus, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (status) {
        if (status.state === "done" || status.state === "failed" || status.state === "expired") {
          window.location.reload();
          return;
        }
        if (bar) { bar.value = status.percent; bar.textContent = status.percent + "%"; }
        if (percent) { percent.textContent = status.percent; }
        window.setTimeout(poll, 2000);
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 1000);
})();
