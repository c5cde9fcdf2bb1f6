// Service worker of the attendance list (registered by attendance.js, scope /seminars/): a list
// page reloaded without a connection comes from the copy kept when it was last loaded, with its
// CSS and script, so the marks waiting in localStorage are shown and sent when the connection
// returns. Network first: online, every load is fresh and refreshes the copy. Nothing else is
// cached; POSTs are never touched.
"use strict";
var CACHE = "lms-attendance-v1";
var LIST = /^\/seminars\/[^/]+\/sessions\/[^/]+\/attendance$/;

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") { return; }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  var isList = request.mode === "navigate" && LIST.test(url.pathname);
  var isAsset = url.pathname === "/static/css/app.css" || url.pathname === "/static/js/attendance.js";
  if (!isList && !isAsset) { return; }
  event.respondWith(
    fetch(request).then(function (response) {
      if (response.ok && !response.redirected) {
        var copy = response.clone();
        caches.open(CACHE).then(function (cache) { cache.put(url.pathname, copy); });
      }
      return response;
    }).catch(function () {
      return caches.match(url.pathname).then(function (kept) { return kept || Response.error(); });
    })
  );
});
