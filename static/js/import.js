// Bulk import preview: a confirmation is sent once. A big file takes a while to write, so the
// button is disabled after the click (a second click would only wait for the first) and a line
// says the import is running. The page works the same without this script.
(function () {
  "use strict";
  var form = document.querySelector("form.import-confirm");
  if (!form) {
    return;
  }
  form.addEventListener("submit", function () {
    var button = form.querySelector("button[type=submit]");
    var running = form.querySelector(".import-running");
    // Disabled only after the browser has taken this submission.
    window.setTimeout(function () {
      button.disabled = true;
      if (running) {
        running.hidden = false;
      }
    }, 0);
  });
})();
