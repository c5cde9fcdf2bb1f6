// Editor page: upload an image in the background and insert its Markdown at the caret (in the
// code editor when it is there, else in the textarea). Without JavaScript the form posts to the
// images page, which shows the Markdown to copy.
(function () {
  "use strict";
  var form = document.getElementById("image-form");
  var status = document.getElementById("image-status");
  if (!form || !window.fetch || !window.FormData) { return; }

  function insert(text) {
    if (window.lmsEditor) { window.lmsEditor.insert(text); return; }
    var source = document.getElementById("source");
    if (!source) { return; }
    var start = source.selectionStart, end = source.selectionEnd;
    source.value = source.value.slice(0, start) + text + source.value.slice(end);
    source.focus();
    source.setSelectionRange(start + text.length, start + text.length);
    source.dispatchEvent(new Event("input", { bubbles: true }));
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    })
      .then(function (response) {
        return response.json().then(function (answer) { return { ok: response.ok, answer: answer }; });
      })
      .then(function (result) {
        if (result.ok) {
          insert(result.answer.markdown);
          status.textContent = result.answer.message;
          form.reset();
        } else {
          status.textContent = (result.answer.errors || []).join(" ");
        }
      })
      .catch(function () { form.submit(); }) // no answer we can read: post it the plain way
      .then(function () { button.disabled = false; });
  });
}());
