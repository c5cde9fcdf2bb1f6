// Taking attendance on a phone with a bad connection. Without script each row is a plain form
// (its hidden client_id makes a double submit harmless). With script a mark is made by tapping
// a status: it goes into a queue kept in localStorage with its own client_id
// (crypto.randomUUID), is sent with fetch when the phone is online, and is sent again after a
// failure, on the `online` event and every few seconds. The server applies a client_id once, so
// a mark whose answer was lost and is sent again is not counted twice. The queue survives a
// reload: marks still waiting are shown as such and sent.
(function () {
  "use strict";
  var list = document.getElementById("attendance-list");
  var status = document.getElementById("attendance-status");
  if (!list || !status || !window.fetch || !window.localStorage || !window.crypto || !crypto.randomUUID) { return; }

  var KEY = "lms.attendance:" + list.getAttribute("data-queue");
  var RETRY_MS = 5000;
  var sending = false;
  var signedOut = false;

  // Each mark says who made it: on a shared phone, marks another user left waiting on this list
  // stay theirs, neither shown nor sent under this user's name (kept for when they sign in again).
  var OWNER = list.getAttribute("data-owner") || "";
  function stored() {
    try { return JSON.parse(localStorage.getItem(KEY)) || []; } catch (e) { return []; }
  }
  function ours(entry) { return !entry.owner || entry.owner === OWNER; }
  function load() { return stored().filter(ours); }
  function save(queue) {
    var others = stored().filter(function (entry) { return !ours(entry); });
    localStorage.setItem(KEY, JSON.stringify(others.concat(queue)));
  }

  function formOf(user) { return list.querySelector("form[data-user='" + user + "']"); }

  function setState(form, state) {
    var label = form.querySelector(".attendance-state");
    label.setAttribute("data-state", state);
    label.textContent = state ? list.getAttribute("data-label-" + state) : "";
  }

  function announce() {
    var waiting = load().length;
    var text;
    if (signedOut) { text = status.getAttribute("data-signin"); }
    else if (waiting) { text = status.getAttribute("data-pending").replace("{count}", String(waiting)); }
    else { text = status.getAttribute("data-saved"); }
    if (waiting && !signedOut && !navigator.onLine) { text = status.getAttribute("data-offline") + " " + text; }
    if (status.textContent !== text) { status.textContent = text; }
  }

  function read(form) {
    var prefix = form.getAttribute("data-prefix");
    var checked = form.querySelector("input[name='" + prefix + "status']:checked");
    return {
      owner: OWNER,
      user: form.getAttribute("data-user"),
      url: form.getAttribute("action"),
      prefix: prefix,
      status: checked ? checked.value : "",
      note: form.querySelector("input[name='" + prefix + "note']").value,
      client_id: crypto.randomUUID()
    };
  }

  // What was last queued (or shown saved) per participant: the same choice again sends nothing.
  var last = {};
  function signature(mark) { return mark.status + "\n" + mark.note; }

  // The newest mark of a participant replaces a waiting one: only what was chosen last is sent.
  function enqueue(form) {
    var mark = read(form);
    if (!mark.status) { return; }
    if (last[mark.user] === signature(mark)) { flush(); return; }
    last[mark.user] = signature(mark);
    var queue = load().filter(function (entry) { return entry.user !== mark.user; });
    queue.push(mark);
    save(queue);
    setState(form, "pending");
    announce();
    flush();
  }

  function csrfToken() {
    var field = list.querySelector("input[name$='csrf_token']");
    return field ? field.value : "";
  }

  function send(mark) {
    var body = new FormData();
    body.append(mark.prefix + "status", mark.status);
    body.append(mark.prefix + "note", mark.note);
    body.append(mark.prefix + "client_id", mark.client_id);
    return fetch(mark.url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRFToken": csrfToken() }
    });
  }

  function done(mark, state) {
    save(load().filter(function (entry) { return entry.client_id !== mark.client_id; }));
    var form = formOf(mark.user);
    var newer = load().some(function (entry) { return entry.user === mark.user; });
    if (form && !newer) { setState(form, state); }
  }

  function flush() {
    if (sending) { return; }
    var queue = load();
    announce();
    if (!queue.length || !navigator.onLine) { return; }
    var mark = queue[0];
    var form = formOf(mark.user);
    if (form) { setState(form, "sending"); }
    sending = true;
    send(mark).then(function (response) {
      var json = (response.headers.get("Content-Type") || "").indexOf("application/json") === 0;
      if (response.ok && json) {
        signedOut = false;
        done(mark, "saved");
        return true;
      }
      if (response.redirected || (response.status === 400 && !json)) {
        signedOut = true;  // the sign-in page, or a CSRF token of an ended session: kept until then
      } else if (response.status >= 400 && response.status < 500) {
        done(mark, "error");  // refused for good (not a participant, a bad status): not retried
        return true;
      }
      if (form) { setState(form, "pending"); }
      return false;
    }, function () {
      if (form) { setState(form, "pending"); }
      return false;
    }).then(function (progressed) {
      sending = false;
      announce();
      if (progressed) {
        if (load().length) { flush(); } else { keepCopy(); }
      }
    });
  }

  Array.prototype.forEach.call(list.querySelectorAll("form[data-user]"), function (form) {
    var shown = read(form);
    if (shown.status && form.querySelector(".attendance-state").getAttribute("data-state") === "saved") {
      last[shown.user] = signature(shown);
    }
  });

  // Marks still waiting from before a reload: show them as chosen and waiting.
  load().forEach(function (mark) {
    last[mark.user] = signature(mark);
    var form = formOf(mark.user);
    if (!form) { return; }
    var radio = form.querySelector("input[name='" + mark.prefix + "status'][value='" + mark.status + "']");
    if (radio) { radio.checked = true; }
    form.querySelector("input[name='" + mark.prefix + "note']").value = mark.note;
    setState(form, "pending");
  });

  list.addEventListener("change", function (event) {
    var target = event.target;
    // A status tapped, or a note changed (on leaving the field): the mark goes as it now stands.
    if (target instanceof HTMLInputElement && target.form && target.type !== "hidden") { enqueue(target.form); }
  });
  list.addEventListener("submit", function (event) {
    event.preventDefault();
    enqueue(event.target);
  });
  // Keep this page (and its CSS and script) for a reload without a connection: the service
  // worker answers from this copy when the network fails. Refreshed whenever the queue empties,
  // so the copy shows the marks already saved. The worker fetches and keeps it itself, bound to
  // the user the list was made for (attendance-sw.js).
  var worker = list.getAttribute("data-worker");
  function keepCopy() {
    if (!worker || !navigator.serviceWorker || !navigator.onLine) { return; }
    navigator.serviceWorker.ready.then(function (registration) {
      if (registration.active) { registration.active.postMessage({ type: "keep", path: window.location.pathname }); }
    });
  }
  if (worker && navigator.serviceWorker) {
    navigator.serviceWorker.register(worker, { scope: list.getAttribute("data-scope") })
      .then(function () { keepCopy(); })
      .catch(function () { /* not allowed here (plain http): marks still wait in localStorage */ });
  }

  window.addEventListener("online", flush);
  window.addEventListener("offline", announce);
  window.setInterval(flush, RETRY_MS);
  flush();
})();
