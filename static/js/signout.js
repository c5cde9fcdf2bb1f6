// Signing out on a shared phone (the header's "Sign out"). The sign-out answer clears this site's
// storage (Clear-Site-Data), and with it the queue of attendance marks not yet sent
// (attendance.js, localStorage `lms.attendance:<list>`). So when marks wait, the button first asks
// (base.html's dialog): open the list to send them, stay signed in, or sign out and delete them.
// When none wait the form goes at once, as without script. For browsers that do not honour the
// header, the attendance list's offline copy and its service worker are removed here: as the form
// goes, and again on every page shown signed out (the page after signing out, or after a sign-in
// ended elsewhere), where no list may be kept. Without script nothing is queued.
(function () {
  "use strict";
  var form = document.getElementById("signout-form");
  var dialog = document.getElementById("signout-warning");
  if (!form) { forgetOfflineCopies(); return; }  // signed out: nothing of the list may stay
  var PREFIX = "lms.attendance:";
  var OWNER = dialog ? dialog.getAttribute("data-owner") : "";
  // This user's marks (attendance.js): another user's, left from an ended session, are not theirs to send.
  function mine(entry) { return !entry.owner || entry.owner === OWNER; }

  function queues() {
    var found = [];
    try {
      for (var i = 0; i < localStorage.length; i++) {
        var key = localStorage.key(i);
        if (key && key.indexOf(PREFIX) === 0) {
          var queue = (JSON.parse(localStorage.getItem(key)) || []).filter(mine);
          if (queue.length) { found.push({ key: key, count: queue.length }); }
        }
      }
    } catch (e) { /* no storage here: nothing can be waiting in it */ }
    return found;
  }

  // The list's kept copies go; with `andWorker` its service worker too (when signing out). A page
  // shown signed out deletes the copies only: the worker then holds nothing, and stays registered
  // for whoever signs in next (unregistering it there would race that next sign-in's registration).
  function forgetOfflineCopies(andWorker) {
    var jobs = [];
    if (window.caches) {
      jobs.push(caches.keys().then(function (names) {
        return Promise.all(names.filter(function (name) { return name.indexOf("lms-attendance") === 0; })
          .map(function (name) { return caches.delete(name); }));
      }));
    }
    if (andWorker && navigator.serviceWorker && navigator.serviceWorker.getRegistrations) {
      jobs.push(navigator.serviceWorker.getRegistrations().then(function (registrations) {
        return Promise.all(registrations.filter(function (registration) {
          var worker = registration.active || registration.waiting || registration.installing;
          return worker && /\/attendance-sw\.js$/.test(new URL(worker.scriptURL).pathname);
        }).map(function (registration) { return registration.unregister(); }));
      }));
    }
    return Promise.all(jobs).catch(function () { /* the header still clears them */ });
  }

  function signOut(waiting) {
    // Chosen, not silent: the marks are deleted because the person said so.
    waiting.forEach(function (queue) {
      var others = (JSON.parse(localStorage.getItem(queue.key)) || []).filter(function (entry) { return !mine(entry); });
      if (others.length) { localStorage.setItem(queue.key, JSON.stringify(others)); } else { localStorage.removeItem(queue.key); }
    });
    forgetOfflineCopies(true).then(function () { form.submit(); });
  }

  form.addEventListener("submit", function (event) {
    var waiting = queues();
    if (!waiting.length) { forgetOfflineCopies(true); return; }  // the form goes now; the next page finishes
    event.preventDefault();
    var count = waiting.reduce(function (sum, queue) { return sum + queue.count; }, 0);
    var text = dialog.getAttribute("data-waiting").replace("{count}", String(count));
    if (!dialog.showModal) {
      if (window.confirm(text + " " + dialog.querySelector(".signout-waiting + p").textContent)) { signOut(waiting); }
      return;
    }
    dialog.querySelector(".signout-waiting").textContent = text;
    var page = waiting[0].key.slice(PREFIX.length);
    dialog.querySelector(".signout-send").setAttribute("href", page.charAt(0) === "/" && page.charAt(1) !== "/" ? page : "/seminars");
    dialog.showModal();
    dialog.querySelector(".signout-send").focus();
    dialog.querySelector(".signout-stay").onclick = function () { dialog.close(); };
    dialog.querySelector(".signout-discard").onclick = function () {
      dialog.close();
      signOut(queues());
    };
  });
})();
