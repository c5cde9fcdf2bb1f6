// Editor page of a scenario: redraw the graph beside the text as it is typed (the server draws it
// with the same parser the importer uses). Without JavaScript the graph is the saved text's.
(function () {
  "use strict";
  var box = document.getElementById("scenario-graph");
  var source = document.getElementById("source");
  var form = document.getElementById("editor-form");
  if (!box || !source || !form || !window.fetch) { return; }
  var url = box.getAttribute("data-graph-url");
  var csrf = form.querySelector("input[name=csrf_token]").value;
  var timer = null;
  var sent = 0;

  function refresh() {
    var number = ++sent;
    var data = new FormData();
    data.append("text", source.value);
    fetch(url, { method: "POST", body: data, headers: { "X-CSRFToken": csrf }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.text();
      })
      .then(function (html) {
        if (number !== sent) { return; } // an answer to older text
        var open = box.querySelector("details[open]") !== null;
        box.innerHTML = html;
        var details = box.querySelector("details");
        if (details && open) { details.open = true; }
      })
      .catch(function () { /* keep the last graph */ });
  }

  source.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, 700);
  });
}());
