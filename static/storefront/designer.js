// The designer: drag-and-drop ordering of sections (the Up / Down buttons do the same
// without JavaScript) and the embed snippet's copy button.
(function () {
  "use strict";
  var list = document.getElementById("section-list");
  var form = document.getElementById("reorder-form");
  var dragged = null;
  if (list && form) {
    list.addEventListener("dragstart", function (event) {
      dragged = event.target.closest(".designer-section");
      if (!dragged) return;
      dragged.classList.add("dragging");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", dragged.dataset.id);
    });
    list.addEventListener("dragover", function (event) {
      var target = event.target.closest(".designer-section");
      if (!dragged || !target || target === dragged) return;
      event.preventDefault();
      var box = target.getBoundingClientRect();
      var after = event.clientY > box.top + box.height / 2;
      list.insertBefore(dragged, after ? target.nextSibling : target);
    });
    list.addEventListener("drop", function (event) {
      event.preventDefault();
    });
    list.addEventListener("dragend", function () {
      if (!dragged) return;
      dragged.classList.remove("dragging");
      dragged = null;
      var ids = Array.prototype.map.call(list.querySelectorAll(".designer-section"), function (item) {
        return item.dataset.id;
      });
      document.getElementById("reorder-order").value = ids.join(",");
      form.submit();
    });
  }

  var copy = document.getElementById("copy-snippet");
  if (copy) {
    copy.addEventListener("click", function () {
      var text = document.getElementById(copy.dataset.copyTarget).textContent;
      var status = document.getElementById("copy-status");
      function done() { status.textContent = "Copied."; }
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(done, fallback);
      } else {
        fallback();
      }
      function fallback() {
        var area = document.createElement("textarea");
        area.value = text;
        document.body.appendChild(area);
        area.select();
        try { document.execCommand("copy"); done(); } catch (error) { status.textContent = "Select the snippet and copy it."; }
        area.remove();
      }
    });
  }
})();
