// Response packs, request form: attachments fit only in a ZIP pack, so the box is disabled otherwise.
(function () {
  "use strict";

  function sync(form) {
    var checked = form.querySelector("input[name='format']:checked");
    var attachments = form.querySelector("input[name='include_attachments']");
    if (!checked || !attachments) {
      return;
    }
    attachments.disabled = checked.value !== "zip";
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("form[data-export-request]");
    if (!form) {
      return;
    }
    form.addEventListener("change", function () { sync(form); });
    sync(form);
  });
})();
