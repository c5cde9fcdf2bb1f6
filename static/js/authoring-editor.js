// Course editor: a live preview and lint list of the text being typed, and lint links that move the
// caret to their line. Without JavaScript the form saves the draft and the page shows both as saved.
// A code editor (CodeMirror) may replace the textarea: it listens for "authoring:goto-line" and
// dispatches "input" on #source, so this script works with either.
(function () {
  "use strict";
  var form = document.getElementById("editor-form");
  var source = document.getElementById("source");
  var preview = document.getElementById("preview");
  var problems = document.getElementById("problems");
  var status = document.getElementById("preview-status");
  if (!form || !source || !preview || !problems) { return; }
  var url = form.getAttribute("data-preview-url");
  var csrf = form.querySelector("input[name=csrf_token]").value;
  var timer = null;
  var sent = 0;

  function gotoLine(line, col) {
    var event = new CustomEvent("authoring:goto-line", { cancelable: true, detail: { line: line, col: col } });
    if (!source.dispatchEvent(event)) { return; } // a code editor handled it
    var lines = source.value.split("\n");
    var offset = 0;
    for (var i = 0; i < Math.min(line - 1, lines.length); i++) { offset += lines[i].length + 1; }
    offset += Math.max(0, Math.min((col || 1) - 1, (lines[line - 1] || "").length));
    source.focus();
    source.setSelectionRange(offset, offset);
    // Scroll the caret's line into view: the textarea's line height times the line.
    var lineHeight = parseFloat(window.getComputedStyle(source).lineHeight) || 20;
    source.scrollTop = Math.max(0, (line - 3) * lineHeight);
  }

  problems.addEventListener("click", function (event) {
    var link = event.target.closest("a.goto-line");
    if (!link) { return; }
    event.preventDefault();
    gotoLine(parseInt(link.getAttribute("data-line"), 10), parseInt(link.getAttribute("data-col"), 10));
  });

  function refresh() {
    var number = ++sent;
    var data = new FormData();
    data.append("text", source.value);
    status.textContent = form.getAttribute("data-msg-updating");
    preview.setAttribute("aria-busy", "true");
    fetch(url, { method: "POST", body: data, headers: { "X-CSRFToken": csrf }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      })
      .then(function (answer) {
        if (number !== sent) { return; } // a newer text is on its way
        preview.innerHTML = answer.preview;
        problems.innerHTML = answer.problems;
        status.textContent = form.getAttribute("data-msg-updated");
      })
      .catch(function () {
        if (number === sent) { status.textContent = form.getAttribute("data-msg-failed"); }
      })
      .then(function () { if (number === sent) { preview.removeAttribute("aria-busy"); } });
  }

  source.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, 500);
  });

  // A link from another page (the tree, another file's problem) to #L12: put the caret there.
  var match = /^#L(\d+)$/.exec(window.location.hash);
  if (match) { gotoLine(parseInt(match[1], 10), 1); }
})();
