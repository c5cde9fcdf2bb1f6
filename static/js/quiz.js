// Quiz attempt page: autosave answers as the candidate goes, show the server's deadline, and
// submit when time is up. Everything also works without JavaScript (Save / Submit buttons).
(function () {
  "use strict";
  var form = document.getElementById("quiz-form");
  if (!form) { return; }
  var status = document.getElementById("autosave-status");
  var saveUrl = form.getAttribute("data-save-url");
  var timer = document.getElementById("quiz-timer");
  var pending = null;
  var inFlight = false;
  var dirty = false;

  function say(text) { if (status) { status.textContent = text; } }

  function save() {
    if (inFlight) { dirty = true; return; }
    inFlight = true;
    dirty = false;
    say(form.getAttribute("data-msg-saving"));
    fetch(saveUrl, {
      method: "POST",
      body: new FormData(form),
      headers: { "Accept": "application/json" },
      credentials: "same-origin"
    }).then(function (response) {
      return response.json().then(function (data) { return { ok: response.ok, data: data }; });
    }).then(function (reply) {
      inFlight = false;
      if (reply.data.closed) { window.location.assign(reply.data.result); return; }
      say(form.getAttribute("data-msg-saved"));
      if (dirty) { save(); }
    }).catch(function () {
      inFlight = false;
      say(form.getAttribute("data-msg-offline"));
      pending = window.setTimeout(save, 5000);
    });
  }

  function scheduleSave() {
    if (pending) { window.clearTimeout(pending); }
    pending = window.setTimeout(save, 600);
  }

  form.addEventListener("change", scheduleSave);
  form.addEventListener("input", scheduleSave);

  // One submission: the server is idempotent anyway, this just avoids a confusing second click.
  form.addEventListener("submit", function (event) {
    var button = event.submitter;
    if (button && button.name === "submit-attempt") {
      Array.prototype.forEach.call(form.querySelectorAll("button"), function (b) { b.disabled = true; });
      var marker = document.createElement("input");
      marker.type = "hidden"; marker.name = "submit-attempt"; marker.value = "1";
      form.appendChild(marker);
    }
  });

  if (timer) {
    var deadline = Date.parse(timer.getAttribute("data-deadline"));
    var serverNow = Date.parse(timer.getAttribute("data-now"));
    var skew = Date.now() - serverNow;
    var output = timer.querySelector("output");
    var tick = function () {
      var left = Math.max(0, Math.round((deadline - (Date.now() - skew)) / 1000));
      var minutes = Math.floor(left / 60);
      var seconds = left % 60;
      output.textContent = minutes + ":" + (seconds < 10 ? "0" : "") + seconds;
      if (left <= 60) { timer.classList.add("timer-low"); }
      if (left === 0) {
        window.clearInterval(interval);
        var submit = form.querySelector("button[name=submit-attempt]");
        if (submit) { form.requestSubmit(submit); }
      }
    };
    var interval = window.setInterval(tick, 1000);
    tick();
  }
})();
