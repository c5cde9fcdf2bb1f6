// The at-risk lists' "choose everybody in this list" boxes: hidden without JavaScript, where
// each candidate is ticked alone.
document.querySelectorAll("input.select-all").forEach(function (all) {
  all.hidden = false;
  if (all.labels) all.labels.forEach(function (label) { label.hidden = false; });
  var boxes = function () {
    return document.querySelectorAll('input[name="candidate"][data-list="' + all.dataset.list + '"]');
  };
  all.addEventListener("change", function () {
    boxes().forEach(function (box) { box.checked = all.checked; });
  });
});
