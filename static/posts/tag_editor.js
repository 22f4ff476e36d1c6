/* The admin's product tag editor (no build step): click a picture to place a tag and
 * pick its product, drag a tag to move it, remove it from the list. The tags of each
 * picture travel in a hidden field as JSON [{product_id, variant_id, x, y}], x and y
 * from 0 to 1; the server checks them again (services.post_tags_clean).
 */
(function () {
  "use strict";
  var products = JSON.parse(document.getElementById("tag-editor-products").textContent);
  var byId = {};
  products.forEach(function (product) { byId[product.id] = product; });

  function clamp(value) { return Math.min(1, Math.max(0, Math.round(value * 10000) / 10000)); }

  function setUp(editor) {
    var frame = editor.querySelector("[data-frame]");
    var input = editor.querySelector("[data-tags-input]");
    var list = editor.querySelector("[data-list]");
    var count = editor.querySelector("[data-count]");
    var max = Number(editor.dataset.maxTags);
    var tags = JSON.parse(input.dataset.initial || "[]");

    function save() {
      input.value = JSON.stringify(tags.map(function (tag) {
        return { product_id: tag.product_id, variant_id: tag.variant_id || null, x: tag.x, y: tag.y };
      }));
      count.textContent = tags.length + " of " + max + " tags";
    }

    function problemOf(tag) {
      if (tag.problem) return tag.problem;
      var product = byId[tag.product_id];
      if (!product) return tag.product_id ? "product deleted" : "";
      return product.status === "active" ? "" : "product " + product.status;
    }

    function render() {
      frame.querySelectorAll(".tag-marker").forEach(function (marker) { marker.remove(); });
      list.textContent = "";
      tags.forEach(function (tag, index) {
        var problem = problemOf(tag);
        var marker = document.createElement("button");
        marker.type = "button";
        marker.className = "tag-marker" + (problem ? " is-flagged" : "");
        marker.style.left = tag.x * 100 + "%";
        marker.style.top = tag.y * 100 + "%";
        marker.textContent = String(index + 1);
        marker.setAttribute("aria-label", "Tag " + (index + 1) + " (drag, or arrow keys, to move)");
        marker.addEventListener("keydown", function (event) {
          var step = event.shiftKey ? 0.1 : 0.01;
          var moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
          var move = moves[event.key];
          if (!move) return;
          event.preventDefault();
          tag.x = clamp(tag.x + move[0]);
          tag.y = clamp(tag.y + move[1]);
          marker.style.left = tag.x * 100 + "%";
          marker.style.top = tag.y * 100 + "%";
          save();
        });
        marker.dataset.tagIndex = String(index);
        marker.addEventListener("pointerdown", function (event) { startDrag(event, tag, marker); });
        marker.addEventListener("click", function (event) { event.stopPropagation(); });
        frame.appendChild(marker);

        var item = document.createElement("li");
        item.className = problem ? "is-flagged" : "";
        var label = document.createElement("label");
        label.textContent = "Tag " + (index + 1) + " ";
        var select = document.createElement("select");
        select.setAttribute("data-tag-product", String(index));
        select.setAttribute("aria-label", "Product of tag " + (index + 1));
        var empty = document.createElement("option");
        empty.value = "";
        empty.textContent = "Pick a product…";
        select.appendChild(empty);
        var known = false;
        products.forEach(function (product) {
          var option = document.createElement("option");
          option.value = String(product.id);
          option.textContent = product.title + (product.status === "active" ? "" : " (" + product.status + ")");
          if (product.id === tag.product_id) { option.selected = true; known = true; }
          select.appendChild(option);
        });
        if (tag.product_id && !known) {
          var gone = document.createElement("option");
          gone.value = String(tag.product_id);
          gone.textContent = (tag.title || "Deleted product") + " (deleted)";
          gone.selected = true;
          select.appendChild(gone);
        }
        select.addEventListener("change", function () {
          tag.product_id = select.value ? Number(select.value) : null;
          tag.variant_id = null;
          tag.problem = "";
          render();
        });
        label.appendChild(select);
        item.appendChild(label);
        var chosen = byId[tag.product_id];
        if (chosen && chosen.variants.length) {
          var variantSelect = document.createElement("select");
          variantSelect.setAttribute("aria-label", "Variant of tag " + (index + 1));
          var any = document.createElement("option");
          any.value = "";
          any.textContent = "Any variant";
          variantSelect.appendChild(any);
          chosen.variants.forEach(function (variant) {
            var option = document.createElement("option");
            option.value = String(variant.id);
            option.textContent = variant.title;
            option.selected = variant.id === tag.variant_id;
            variantSelect.appendChild(option);
          });
          variantSelect.addEventListener("change", function () {
            tag.variant_id = variantSelect.value ? Number(variantSelect.value) : null;
            save();
          });
          item.appendChild(variantSelect);
        }
        if (problem) {
          var flag = document.createElement("strong");
          flag.className = "tag-problem";
          flag.textContent = " Hidden from shoppers: " + problem + ".";
          item.appendChild(flag);
        }
        var remove = document.createElement("button");
        remove.type = "button";
        remove.className = "button";
        remove.textContent = "Remove";
        remove.setAttribute("aria-label", "Remove tag " + (index + 1));
        remove.addEventListener("click", function () { tags.splice(index, 1); render(); });
        item.appendChild(remove);
        list.appendChild(item);
      });
      save();
    }

    function position(event) {
      var box = frame.getBoundingClientRect();
      return { x: clamp((event.clientX - box.left) / box.width), y: clamp((event.clientY - box.top) / box.height) };
    }

    function startDrag(event, tag, marker) {
      event.preventDefault();
      marker.setPointerCapture(event.pointerId);
      function move(moveEvent) {
        var point = position(moveEvent);
        tag.x = point.x;
        tag.y = point.y;
        marker.style.left = tag.x * 100 + "%";
        marker.style.top = tag.y * 100 + "%";
      }
      function end() {
        marker.removeEventListener("pointermove", move);
        marker.removeEventListener("pointerup", end);
        save();
      }
      marker.addEventListener("pointermove", move);
      marker.addEventListener("pointerup", end);
    }

    function add(point) {
      if (tags.length >= max) {
        count.textContent = "A picture has at most " + max + " tags.";
        return;
      }
      tags.push({ product_id: null, variant_id: null, x: point.x, y: point.y, problem: "" });
      render();
      var selects = list.querySelectorAll("select");
      selects[selects.length - 1].focus();
    }

    frame.addEventListener("click", function (event) {
      if (event.target.closest(".tag-marker")) return;
      add(position(event));
    });
    // Without a pointer: a tag in the middle, then moved with the arrow keys.
    editor.querySelector("[data-add-tag]").addEventListener("click", function () {
      add({ x: 0.5, y: 0.5 });
    });
    render();
  }

  document.querySelectorAll("[data-tag-editor]").forEach(setUp);
})();
