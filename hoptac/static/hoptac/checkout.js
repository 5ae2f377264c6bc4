// Checkout: choosing a province reloads the form with its communes and delivery fees
// (the same request as the "Show communes and fees" button, which works without JS).
(function () {
  "use strict";
  var form = document.getElementById("checkout-form");
  if (!form) return;
  var province = form.querySelector("select[name=province_code]");
  var refresh = form.querySelector("button[name=refresh]");
  if (!province || !refresh) return;
  province.addEventListener("change", function () {
    refresh.click();
  });
})();
