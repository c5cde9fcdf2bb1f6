// Course structure: drag and drop as an enhancement of the "Up"/"Down" buttons (which stay and
// are the keyboard way). Dropping an entry posts the list's new order through the list's hidden
// order form (a plain form post, CSRF token included); the server refuses it if the order changed
// meanwhile. Only direct children of an `ol[data-reorder]` are dragged, within their own list.
(function () {
  "use strict";
  var dragged = null;

  function entries(list) {
    return Array.prototype.filter.call(list.children, function (child) { return child.tagName === "LI"; });
  }

  function submitOrder(list) {
    var form = document.getElementById(list.getAttribute("data-reorder"));
    if (!form) { return; }
    var order = entries(list).map(function (li) { return li.getAttribute("data-name"); }).join("/");
    if (order === form.elements.seen.value) { return; }
    form.elements.order.value = order;
    form.submit();
  }

  Array.prototype.forEach.call(document.querySelectorAll("ol[data-reorder]"), function (list) {
    entries(list).forEach(function (li) {
      // The entry's title row is the handle: its forms (rename, new item) stay selectable text.
      var handle = li.querySelector(".structure-row");
      if (!handle || handle.parentNode !== li) { return; }
      handle.setAttribute("draggable", "true");
      handle.classList.add("structure-draggable");
      handle.addEventListener("dragstart", function (event) {
        event.stopPropagation(); // an item's row is inside its module's entry
        dragged = li;
        li.classList.add("structure-dragging");
        event.dataTransfer.effectAllowed = "move";
        event.dataTransfer.setData("text/plain", li.getAttribute("data-name"));
      });
      handle.addEventListener("dragend", function () {
        li.classList.remove("structure-dragging");
        dragged = null;
      });
    });
    list.addEventListener("dragover", function (event) {
      if (!dragged || dragged.parentNode !== list) { return; }
      event.preventDefault();
      event.dataTransfer.dropEffect = "move";
      var over = event.target.closest ? event.target.closest("li") : null;
      while (over && over.parentNode !== list) { over = over.parentNode.closest("li"); }
      if (!over || over === dragged) { return; }
      var box = over.getBoundingClientRect();
      var after = event.clientY > box.top + box.height / 2;
      list.insertBefore(dragged, after ? over.nextSibling : over);
    });
    list.addEventListener("drop", function (event) {
      if (!dragged || dragged.parentNode !== list) { return; }
      event.preventDefault();
      event.stopPropagation();
      submitOrder(list);
    });
  });
}());
