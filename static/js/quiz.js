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

  // A submit that leaves questions unanswered asks first, naming them (the server asks too when
  // JavaScript is off). "Submit anyway" sends the whole form with confirm=1.
  var confirmBox = document.getElementById("quiz-confirm");
  var submitButton = form.querySelector("button[name=submit-attempt]");
  var confirmed = false;

  function answered(fieldset) {
    if (fieldset.querySelector("input[type=radio]:checked, input[type=checkbox]:checked")) { return true; }
    return Array.prototype.some.call(fieldset.querySelectorAll("input[type=text], select"), function (field) {
      return field.value.trim() !== "";
    });
  }

  function unanswered() {
    return Array.prototype.filter.call(form.querySelectorAll("fieldset.question"), function (fieldset) {
      return !answered(fieldset);
    });
  }

  function focusQuestion(fieldset) {
    var field = fieldset.querySelector("input, select");
    fieldset.scrollIntoView({ block: "center" });
    if (field) { field.focus(); }
  }

  function closeConfirm() { confirmBox.hidden = true; }

  function askToConfirm(missing) {
    var list = document.getElementById("quiz-confirm-list");
    list.textContent = "";
    missing.forEach(function (fieldset) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = "#" + fieldset.id;
      link.textContent = fieldset.querySelector(".question-number").textContent;
      link.addEventListener("click", function (event) {
        event.preventDefault();
        closeConfirm();
        focusQuestion(fieldset);
      });
      item.appendChild(link);
      var prompt = fieldset.querySelector(".question-prompt");
      var text = prompt ? prompt.textContent.replace(/\s+/g, " ").trim() : "";
      if (text.length > 90) { text = text.slice(0, 90).replace(/\s+\S*$/, "") + "…"; }
      if (text) { item.appendChild(document.createTextNode(": " + text)); }
      list.appendChild(item);
    });
    confirmBox.hidden = false;
    confirmBox.focus({ preventScroll: true });
    confirmBox.scrollIntoView({ block: "start" });  // its heading first, clear of the sticky timer
  }

  function submitConfirmed() {
    confirmed = true;
    var flag = document.createElement("input");
    flag.type = "hidden"; flag.name = "confirm"; flag.value = "1";
    form.appendChild(flag);
    form.requestSubmit(submitButton);
  }

  if (confirmBox) {
    confirmBox.addEventListener("click", function (event) {
      var action = event.target.getAttribute("data-confirm");
      if (action === "submit") { submitConfirmed(); }
      if (action === "back") {
        var missing = unanswered();
        closeConfirm();
        if (missing.length) { focusQuestion(missing[0]); } else { submitButton.focus(); }
      }
    });
    confirmBox.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { closeConfirm(); submitButton.focus(); }
    });
  }

  // One submission: the server is idempotent anyway, this just avoids a confusing second click.
  form.addEventListener("submit", function (event) {
    var button = event.submitter;
    if (button && button.name === "submit-attempt") {
      var missing = confirmed ? [] : unanswered();
      if (confirmBox && missing.length) {
        event.preventDefault();
        askToConfirm(missing);
        return;
      }
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
        if (submitButton) { submitConfirmed(); }  // time is up: no question asked
      }
    };
    var interval = window.setInterval(tick, 1000);
    tick();
  }
})();
