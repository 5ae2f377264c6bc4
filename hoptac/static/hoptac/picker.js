/* Hợp Tác — fast entry (issue 11). Progressive enhancement only: every form works without it.
 *
 * 1. The member picker ([data-picker]): the search box becomes an ARIA 1.2 combobox. As the
 *    person types, it asks /c/<slug>/members/search?q=… and offers at most 10 members in a
 *    listbox (arrow keys, Enter, Escape, or a tap). Choosing one puts a checked radio button
 *    in the form, the same one the plain "Find" search shows without JavaScript.
 * 2. A product's own unit: choosing a product in a receipt line sets the line's unit to it
 *    (kg, or litre for honey), from the option's data-unit.
 * No inline code, no styles set from here (strict CSP): classes and the hidden attribute.
 */
(function () {
  "use strict";

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  function setupPicker(box, index) {
    var input = box.querySelector("input[type=search]");
    var choices = box.querySelector(".picker-choices");
    var url = box.getAttribute("data-picker");
    var name = box.getAttribute("data-picker-name");
    if (!input || !choices || !url || !window.fetch) return;
    var list = el("ul", "picker-list");
    list.id = "picker-list-" + index;
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", box.querySelector("label").textContent.replace("*", "").trim());
    list.hidden = true;
    input.parentNode.parentNode.insertBefore(list, input.parentNode.nextSibling);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", list.id);

    var results = [];
    var active = -1;
    var timer = null;
    var asked = 0;

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(i) {
      var items = list.querySelectorAll("[role=option]");
      active = i;
      for (var k = 0; k < items.length; k++) {
        items[k].setAttribute("aria-selected", k === i ? "true" : "false");
      }
      if (i >= 0 && items[i]) {
        input.setAttribute("aria-activedescendant", items[i].id);
        if (items[i].scrollIntoView) items[i].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function choose(i) {
      var member = results[i];
      if (!member) return;
      choices.textContent = "";
      var label = el("label", "picker-choice");
      var radio = el("input");
      radio.type = "radio";
      radio.name = name;
      radio.value = String(member.id);
      radio.checked = true;
      var text = el("span");
      text.appendChild(el("strong", "", member.name));
      text.appendChild(document.createTextNode(" — " + member.place));
      if (member.fact) {
        text.appendChild(el("br"));
        text.appendChild(el("small", "", member.fact));
      }
      label.appendChild(radio);
      label.appendChild(document.createTextNode(" "));
      label.appendChild(text);
      choices.appendChild(label);
      input.value = member.name;
      close();
      box.classList.remove("has-error");
      var next = document.querySelector("form .line input[inputmode], form .line select");
      if (next) next.focus();
    }

    function show(data) {
      results = data.results || [];
      list.textContent = "";
      if (!results.length) {
        var none = el("li", "picker-none", box.getAttribute("data-none") || "—");
        none.setAttribute("role", "option");
        none.setAttribute("aria-disabled", "true");
        none.id = list.id + "-none";
        list.appendChild(none);
      }
      results.forEach(function (member, i) {
        var item = el("li");
        item.id = list.id + "-" + i;
        item.setAttribute("role", "option");
        item.setAttribute("aria-selected", "false");
        item.appendChild(el("strong", "", member.name));
        item.appendChild(document.createTextNode(" — " + member.place));
        if (member.fact) item.appendChild(el("small", "", member.fact));
        item.addEventListener("mousedown", function (event) {
          event.preventDefault(); // keep the focus in the box
        });
        item.addEventListener("click", function () {
          choose(i);
        });
        list.appendChild(item);
      });
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      highlight(results.length ? 0 : -1);
    }

    function ask() {
      var q = input.value.trim();
      if (q.length < 2) {
        close();
        return;
      }
      var ticket = ++asked;
      fetch(url + "?q=" + encodeURIComponent(q), {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      })
        .then(function (response) {
          return response.ok ? response.json() : { results: [] };
        })
        .then(function (data) {
          if (ticket === asked) show(data);
        })
        .catch(close);
    }

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(ask, 150);
    });
    input.addEventListener("keydown", function (event) {
      var open = !list.hidden;
      if (event.key === "ArrowDown") {
        event.preventDefault();
        if (!open) ask();
        else highlight(Math.min(active + 1, results.length - 1));
      } else if (event.key === "ArrowUp") {
        if (open) {
          event.preventDefault();
          highlight(Math.max(active - 1, 0));
        }
      } else if (event.key === "Enter") {
        if (open && results.length) {
          event.preventDefault(); // choose; do not send the form
          choose(active >= 0 ? active : 0);
        }
      } else if (event.key === "Escape") {
        if (open) {
          event.preventDefault();
          close();
        }
      }
    });
    input.addEventListener("blur", function () {
      window.setTimeout(close, 150);
    });
  }

  function setupEnter(form) {
    // Without JavaScript, Enter sends the form's first button, "Find"; with it, Enter in a
    // line's field goes on to "Check" as the person expects (the search box keeps Find).
    var check = form.querySelector("button[name=check]");
    if (!check) return;
    form.addEventListener("keydown", function (event) {
      var target = event.target;
      if (event.key !== "Enter" || target.tagName !== "INPUT" || target.type === "search") return;
      if (target.type === "radio" || target.type === "checkbox") return;
      event.preventDefault();
      check.click();
    });
  }

  function setupUnits(form) {
    form.addEventListener("change", function (event) {
      var select = event.target;
      if (!select.name || !/-product$/.test(select.name)) return;
      var option = select.options[select.selectedIndex];
      var unit = option && option.getAttribute("data-unit");
      var target = form.querySelector("select[name='" + select.name.replace(/-product$/, "-unit") + "']");
      if (unit && target) target.value = unit;
    });
  }

  function start() {
    var boxes = document.querySelectorAll("[data-picker]");
    for (var i = 0; i < boxes.length; i++) setupPicker(boxes[i], i);
    var forms = document.querySelectorAll("form.entry");
    for (var k = 0; k < forms.length; k++) {
      setupUnits(forms[k]);
      setupEnter(forms[k]);
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
