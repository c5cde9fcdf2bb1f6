// Service worker of the attendance list (registered by attendance.js, scope /seminars/): a list
// page reloaded without a connection comes from the copy kept when it was last loaded, with its
// CSS and script, so the marks waiting in localStorage are shown and sent when the connection
// returns. Network first: online, every load is fresh and refreshes the copy. Nothing else is
// cached; POSTs are never touched.
//
// The copy holds participants' names, so it is bound to the user who loaded it: the list comes
// with X-Attendance-Owner (the user) and X-Attendance-Until (when that sign-in ends unless used).
// A list of another user drops every copy; so does an answer that is not a list (the sign-in
// page after the session ended, a 403 or 404). Offline, a copy is shown only to its owner's
// sign-in and not after it would have ended. Signing out clears the whole store
// (Clear-Site-Data, and static/js/signout.js where the header is not honoured).
"use strict";
var CACHE = "lms-attendance-v2";
var OWNER = "/seminars/attendance-sw.js?owner";  // the key of a small entry: whose copies these are
var LIST = /^\/seminars\/[^/]+\/sessions\/[^/]+\/attendance$/;
var ASSETS = ["/static/css/app.css", "/static/js/attendance.js"];

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    // Older copies (lms-attendance-v1) know no owner: dropped.
    return Promise.all(names.filter(function (name) {
      return name.indexOf("lms-attendance") === 0 && name !== CACHE;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

function ownerOf(response) { return response.headers.get("X-Attendance-Owner") || ""; }

function currentOwner(cache) {
  return cache.match(OWNER).then(function (marker) { return marker ? marker.text() : ""; });
}

// Keep a list for its owner; a list of somebody else first drops every copy of the one before.
function keep(path, response) {
  var owner = ownerOf(response);
  if (!owner) { return forget(); }
  return caches.open(CACHE).then(function (cache) {
    return currentOwner(cache).then(function (previous) {
      if (!previous || previous === owner) { return cache; }
      return caches.delete(CACHE).then(function () { return caches.open(CACHE); });
    });
  }).then(function (cache) {
    return Promise.all([cache.put(path, response), cache.put(OWNER, new Response(owner))]);
  });
}

function forget() { return caches.delete(CACHE); }

// Offline: the kept list only if it is the current owner's and their sign-in has not ended.
function kept(path) {
  return caches.open(CACHE).then(function (cache) {
    return Promise.all([cache.match(path), currentOwner(cache)]);
  }).then(function (found) {
    var copy = found[0];
    var owner = found[1];
    var until = copy ? Date.parse(copy.headers.get("X-Attendance-Until") || "") : NaN;
    if (copy && owner && ownerOf(copy) === owner && until > Date.now()) { return copy; }
    return Response.error();
  });
}

// Signed out (the sign-in page), or not this user's list: nothing of it may be shown offline. Any
// other failure (a 500, a timeout) says nothing about who is signed in and keeps the copy.
function notTheirs(response) {
  return response.type === "opaqueredirect" || response.redirected ||
    response.status === 401 || response.status === 403 || response.status === 404;
}

function keepFresh(event, path) {
  return fetch(event.request).then(function (response) {
    if (response.ok && !response.redirected && ownerOf(response)) {
      event.waitUntil(keep(path, response.clone()));
    } else if (notTheirs(response)) {
      event.waitUntil(forget());
    }
    return response;
  }, function () { return kept(path); });
}

function asset(event, path) {
  return fetch(event.request).then(function (response) {
    if (response.ok) {
      var copy = response.clone();
      event.waitUntil(caches.open(CACHE).then(function (cache) { return cache.put(path, copy); }));
    }
    return response;
  }, function () {
    return caches.match(path).then(function (found) { return found || Response.error(); });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") { return; }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (request.mode === "navigate" && LIST.test(url.pathname)) {
    event.respondWith(keepFresh(event, url.pathname));
  } else if (ASSETS.indexOf(url.pathname) >= 0) {
    event.respondWith(asset(event, url.pathname));
  }
});

// The list page asks for its copy when it loads and whenever its queue empties (attendance.js).
self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type !== "keep" || typeof data.path !== "string" || !LIST.test(data.path)) { return; }
  event.waitUntil(fetch(data.path, { credentials: "same-origin" }).then(function (response) {
    if (response.ok && !response.redirected && ownerOf(response)) {
      return keep(data.path, response).then(function () {
        return caches.open(CACHE).then(function (cache) { return cache.addAll(ASSETS); });
      });
    }
    return notTheirs(response) ? forget() : undefined;
  }).catch(function () { /* no connection or no room: the page still works online */ }));
});
