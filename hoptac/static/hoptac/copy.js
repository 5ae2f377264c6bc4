// The "Copy" buttons of the share kit: copy the text of the textarea they name. The
// buttons are hidden until this runs; without JavaScript the text is selected by hand.
document.querySelectorAll("[data-copy]").forEach(function (button) {
  var field = document.getElementById(button.dataset.copy);
  if (!field || !navigator.clipboard) {
    return;
  }
  button.hidden = false;
  button.addEventListener("click", function () {
    navigator.clipboard.writeText(field.value).then(function () {
      button.textContent = button.dataset.done || button.textContent;
    });
  });
});
