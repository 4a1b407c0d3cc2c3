// Ordered inline formsets edited in place on the consultation form (templates/consultations/_formset.html).
// A row is added by cloning the formset's empty form, rows move up and down, and before the form is sent
// each row's hidden `order` input is set from its position, which is the order the server saves.
(function () {
  "use strict";

  function rows(formset) {
    return Array.from(formset.querySelectorAll("[data-formset-list] > [data-formset-row]"));
  }

  function renumber(formset) {
    var all = rows(formset);
    all.forEach(function (row, index) {
      var order = row.querySelector("input[name$='-order']");
      if (order) {
        order.value = index;
      }
      var position = row.querySelector("[data-formset-position]");
      if (position) {
        position.textContent = String(index + 1);
      }
      var up = row.querySelector("[data-formset-move='up']");
      var down = row.querySelector("[data-formset-move='down']");
      if (up) {
        up.disabled = index === 0;
      }
      if (down) {
        down.disabled = index === all.length - 1;
      }
    });
    var empty = formset.querySelector("[data-formset-empty]");
    if (empty) {
      empty.hidden = all.length > 0;
    }
  }

  function announce(formset, row) {
    var status = formset.querySelector("[data-formset-status]");
    var text = formset.getAttribute("data-moved-text");
    if (status && text) {
      status.textContent = text.replace("__position__", String(rows(formset).indexOf(row) + 1));
    }
  }

  function addRow(formset) {
    var prefix = formset.getAttribute("data-formset");
    var total = formset.querySelector("input[name='" + prefix + "-TOTAL_FORMS']");
    var template = formset.querySelector("template[data-formset-template]");
    var list = formset.querySelector("[data-formset-list]");
    var index = parseInt(total.value, 10);
    list.insertAdjacentHTML("beforeend", template.innerHTML.replace(/__prefix__/g, String(index)));
    total.value = String(index + 1);
    renumber(formset);
    var added = list.lastElementChild;
    var first = added.querySelector("input:not([type='hidden']), textarea, select");
    if (first) {
      first.focus();
    }
  }

  function moveRow(button) {
    var formset = button.closest("[data-formset]");
    var row = button.closest("[data-formset-row]");
    var list = row.parentElement;
    if (button.getAttribute("data-formset-move") === "up") {
      var previous = row.previousElementSibling;
      if (!previous) {
        return;
      }
      list.insertBefore(row, previous);
    } else {
      var next = row.nextElementSibling;
      if (!next) {
        return;
      }
      list.insertBefore(next, row);
    }
    renumber(formset);
    // Keep the keyboard where it was; a disabled button (now first or last) cannot hold focus.
    if (button.disabled) {
      var other = row.querySelector("[data-formset-move]:not(:disabled)");
      if (other) {
        other.focus();
      }
    } else {
      button.focus();
    }
    announce(formset, row);
  }

  document.addEventListener("click", function (event) {
    var add = event.target.closest("[data-formset-add]");
    if (add) {
      addRow(add.closest("[data-formset]"));
      return;
    }
    var move = event.target.closest("[data-formset-move]");
    if (move) {
      moveRow(move);
    }
  });

  document.addEventListener("change", function (event) {
    if (event.target.matches("[data-formset-delete]")) {
      event.target.closest("[data-formset-row]").classList.toggle("opacity-50", event.target.checked);
    }
  });

  document.addEventListener("submit", function (event) {
    event.target.querySelectorAll("[data-formset]").forEach(renumber);
  });

  document.querySelectorAll("[data-formset]").forEach(renumber);
})();
