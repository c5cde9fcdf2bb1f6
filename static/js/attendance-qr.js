// The room screen: the check-in code changes every step, so the page fetches itself every few
// seconds and swaps the code in place (no flicker, no lost scroll). Without script a reload
// shows the current code.
(function () {
  "use strict";
  var box = document.getElementById("qr-code");
  if (!box || !window.fetch || !window.DOMParser) { return; }
  var seconds = parseInt(box.getAttribute("data-refresh"), 10) || 30;
  window.setInterval(function () {
    fetch(window.location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (!html) { return; }
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("qr-code");
        if (fresh) { box.innerHTML = fresh.innerHTML; }
      })
      .catch(function () { /* offline for a moment: the next round tries again */ });
  }, seconds * 1000);
})();
