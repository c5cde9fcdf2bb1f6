// Assignment page: a live word count against the task's limits, and the answer's preview without
// reloading the page. Without JavaScript the count is shown as saved and "Preview" reloads the page.
(function () {
  "use strict";
  var box = document.getElementById("text");
  var counter = document.getElementById("word-count");
  if (!box || !counter) { return; }

  // The same rule as lms/exercises/words.py: runs of letters and digits joined by inner hyphens or
  // apostrophes (numbers also by points, commas, colons); no list markers or tags; a link counts by its
  // text, a bare address as one word.
  var MARKS = /\p{M}+/gu;
  var LIST_MARKER = /^[ \t>]*(?:\d{1,9}[.)]|[-*+])[ \t]+(?:\[[ xX]\][ \t]+)?/gm;
  var LINK_TARGET = /\]\([^)]*\)/g;
  var ADDRESS = /<?(?:https?:\/\/|mailto:|www\.)[^\s<>]+>?/gi;
  var TAG = /<\/?[A-Za-z][^<>]*>/g;
  var WORD = /[\p{L}\p{N}]+(?:(?:['’‐-]|(?<=\p{N})[.,:](?=\p{N}))[\p{L}\p{N}]+)*/gu;

  function countWords(text) {
    var plain = text.normalize("NFC").replace(MARKS, "").replace(LIST_MARKER, "")
      .replace(LINK_TARGET, "] ").replace(ADDRESS, " address ").replace(TAG, " ");
    var found = plain.match(WORD);
    return found ? found.length : 0;
  }

  var min = counter.getAttribute("data-min") ? parseInt(counter.getAttribute("data-min"), 10) : null;
  var max = counter.getAttribute("data-max") ? parseInt(counter.getAttribute("data-max"), 10) : null;

  function showCount() {
    var count = countWords(box.value);
    var text = counter.getAttribute("data-template").replace("{count}", String(count));
    var off = "";
    if (min !== null && count < min) { off = counter.getAttribute("data-few"); }
    else if (max !== null && count > max) { off = counter.getAttribute("data-many"); }
    counter.textContent = off ? text + " — " + off : text;
    counter.classList.toggle("word-count-off", off !== "");
  }

  box.addEventListener("input", showCount);
  showCount();

  var button = document.getElementById("preview-button");
  var preview = document.getElementById("answer-preview");
  if (!button || !preview || !window.fetch) { return; }
  button.addEventListener("click", function (event) {
    event.preventDefault();
    var form = box.form;
    var data = new FormData();
    data.append("csrf_token", form.querySelector("input[name=csrf_token]").value);
    data.append("text", box.value);
    fetch(preview.getAttribute("data-url"), {
      method: "POST",
      body: data,
      headers: { "Accept": "application/json" },
      credentials: "same-origin"
    }).then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.json();
    }).then(function (reply) {
      var body = preview.querySelector(".prose");
      if (reply.html) {
        body.innerHTML = reply.html;  // sanitised on the server by the app's Markdown + bleach
      } else {
        body.textContent = "";
        var empty = document.createElement("p");
        empty.textContent = body.getAttribute("data-empty");
        body.appendChild(empty);
      }
      preview.hidden = false;
      preview.focus();
    }).catch(function () {
      form.requestSubmit(button);  // the page without script: the server shows the preview
    });
  });
})();
