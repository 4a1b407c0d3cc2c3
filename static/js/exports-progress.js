// Response packs: size each progress bar from its data-progress value. The width is set from script,
// not a style attribute, so that the page works under a Content-Security-Policy without inline styles.
(function () {
  "use strict";

  function sizeBars(root) {
    var scope = root && root.querySelectorAll ? root : document;
    var bars = scope.querySelectorAll("[data-progress]");
    if (scope.matches && scope.matches("[data-progress]")) {
      bars = [scope].concat(Array.prototype.slice.call(bars));
    }
    Array.prototype.forEach.call(bars, function (bar) {
      var value = Math.max(0, Math.min(100, parseInt(bar.getAttribute("data-progress"), 10) || 0));
      bar.style.width = value + "%";
    });
  }

  document.addEventListener("DOMContentLoaded", function () { sizeBars(document); });
  // htmx swaps the status fragment in every second while the pack builds.
  document.addEventListener("htmx:load", function (event) { sizeBars(event.detail.elt); });
})();
