// The "Print" buttons of the printed documents (a file, not an inline onclick: the
// Content-Security-Policy allows no inline script).
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-print]")) {
    window.print();
  }
});
