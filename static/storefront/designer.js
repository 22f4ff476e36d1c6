// The designer as a live editor. Without this script the page is a stack of classic forms
// that save the draft (and still works); with it:
// - typing saves the draft (debounced) through the JSON endpoint and the preview reloads it;
// - errors appear beside their setting and nothing typed is lost;
// - a picture is stored in the shop's media library as soon as it is chosen (or picked
//   from the library), so a failed save keeps it;
// - sections | preview | settings side by side (tabs on a phone), desktop / mobile
//   preview, undo / redo (buttons, Ctrl+Z, Ctrl+Shift+Z), Revert asks first.
(function () {
  "use strict";
  var root = document.querySelector(".designer");
  if (!root || !window.fetch || !window.JSON) return;

  var DEBOUNCE_MS = 500;
  var draftUrl = root.dataset.draftUrl;
  var mediaUrl = root.dataset.mediaUrl;
  var state = JSON.parse(document.getElementById("designer-document").textContent);
  var csrf = (root.querySelector("[name=csrfmiddlewaretoken]") || {}).value;
  var statusLine = document.getElementById("designer-save-status");
  var publishStatus = root.querySelector(".designer-status");
  var preview = document.getElementById("preview");
  var timer = null;
  var saving = null;  // the save under way (a promise)
  var pictures = {};  // place -> stored picture reference (or null)

  root.classList.add("is-live");
  root.querySelectorAll(".designer-devices, .designer-library-button").forEach(function (el) { el.hidden = false; });
  root.querySelectorAll(".designer-save").forEach(function (el) { el.hidden = true; });
  var revertDisclosure = document.getElementById("revert-disclosure");
  if (revertDisclosure) revertDisclosure.remove();  // the dialog asks instead
  document.getElementById("revert-button").hidden = false;
  document.getElementById("revert-button").addEventListener("click", function () {
    document.getElementById("revert-dialog").showModal();
  });

  // --- Pictures -----------------------------------------------------------------------
  root.querySelectorAll("[data-picture]").forEach(function (box) {
    var script = box.querySelector("script[type='application/json']");
    pictures[box.dataset.picture] = script ? JSON.parse(script.textContent) : null;
  });

  function pictureShow(place, reference, url) {
    var box = root.querySelector("[data-picture='" + place + "']");
    pictures[place] = reference;
    var thumb = box.querySelector("[data-picture-thumb]");
    var remove = box.querySelector("[data-picture-remove]");
    thumb.hidden = !reference;
    if (reference) thumb.src = url;
    remove.checked = false;
    remove.closest("label").hidden = !reference;
  }

  function upload(input) {
    var place = input.dataset.place;
    var file = input.files[0];
    if (!file) return;
    var body = new FormData();
    body.append("file", file);
    say("Uploading the picture…");
    fetch(mediaUrl, { method: "POST", body: body, headers: { "X-CSRFToken": csrf }, credentials: "same-origin" })
      .then(function (response) { return response.json().then(function (data) { return { ok: response.ok, data: data }; }); })
      .then(function (answer) {
        input.value = "";  // stored: a classic submit must not send it again
        if (!answer.ok) {
          errorsShow(answer.data.errors.map(function (e) { return { path: place, message: e.message }; }));
          say("The picture was not stored: see the message beside it.");
          return;
        }
        errorClear(place);
        pictureShow(place, answer.data.image.reference, answer.data.image.url);
        saveNow();
      })
      .catch(function () { say("The picture could not be sent; check the connection and choose it again."); });
  }

  root.addEventListener("change", function (event) {
    var target = event.target;
    if (target.type === "file" && target.dataset.place) {
      upload(target);
    } else if (target.matches("[data-picture-remove]")) {
      var place = target.closest("[data-picture]").dataset.picture;
      if (target.checked) {
        pictures[place] = null;
        target.closest("[data-picture]").querySelector("[data-picture-thumb]").hidden = true;
      }
      saveNow();
    } else if (target.dataset.place && (target.tagName === "SELECT" || target.type === "checkbox")) {
      schedule();  // text fields were scheduled as they were typed (their change adds nothing)
    }
  });
  root.addEventListener("input", function (event) {
    if (event.target.dataset.place && event.target.type !== "file") schedule();
  });

  // --- The media library --------------------------------------------------------------
  var library = document.getElementById("library-dialog");
  var libraryPlace = null;
  var libraryPage = 1;

  function libraryLoad(page, note) {
    var list = document.getElementById("library-list");
    var status = document.getElementById("library-status");
    status.textContent = "Loading…";
    fetch(mediaUrl + "?page=" + page, { credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        libraryPage = data.page;
        list.textContent = "";
        data.images.forEach(function (image, index) {
          var item = document.createElement("li");
          var button = document.createElement("button");
          var img = document.createElement("img");
          var name = "Picture " + ((data.page - 1) * 24 + index + 1);
          button.type = "button";
          img.src = image.url;
          img.alt = name + ", " + image.width + " × " + image.height;
          button.appendChild(img);
          button.addEventListener("click", function () {
            errorClear(libraryPlace);
            pictureShow(libraryPlace, image.reference, image.url);
            library.close();
            saveNow();
          });
          item.appendChild(button);
          item.appendChild(libraryDeleteButton(image, name));
          list.appendChild(item);
        });
        status.textContent = (note ? note + " " : "") + (data.images.length
          ? "Page " + data.page + " of " + data.page_count + "."
          : "No pictures yet: upload one with the file field.");
        document.getElementById("library-previous").disabled = data.page <= 1;
        document.getElementById("library-next").disabled = data.page >= data.page_count;
      })
      .catch(function () { status.textContent = "The library could not be loaded."; });
  }
  // Delete asks once more on the same button ("Delete for good?"); the server refuses a
  // picture the draft or the published design shows, and says so in the status line.
  function libraryDeleteButton(image, name) {
    var remove = document.createElement("button");
    remove.type = "button";
    remove.className = "designer-library-delete";
    remove.textContent = "Delete";
    remove.setAttribute("aria-label", "Delete " + name);
    remove.addEventListener("click", function () {
      var status = document.getElementById("library-status");
      if (!remove.dataset.confirming) {
        remove.dataset.confirming = "1";
        remove.textContent = "Delete for good?";
        remove.setAttribute("aria-label", "Delete " + name + " for good?");
        return;
      }
      remove.disabled = true;
      fetch(image.delete_url, { method: "POST", headers: { "X-CSRFToken": csrf }, credentials: "same-origin" })
        .then(function (response) { return response.json().then(function (data) { return { ok: response.ok, data: data }; }); })
        .then(function (answer) {
          if (!answer.ok) {
            status.textContent = answer.data.errors.map(function (e) { return e.message; }).join(" ");
            remove.disabled = false;
            delete remove.dataset.confirming;
            remove.textContent = "Delete";
            remove.setAttribute("aria-label", "Delete " + name);
            return;
          }
          libraryLoad(libraryPage, name + " deleted.");
        })
        .catch(function () { status.textContent = "The picture could not be deleted; check the connection and try again."; remove.disabled = false; });
    });
    return remove;
  }
  root.querySelectorAll("[data-library-for]").forEach(function (button) {
    button.addEventListener("click", function () {
      libraryPlace = button.dataset.libraryFor;
      library.showModal();
      libraryLoad(1);
    });
  });
  document.getElementById("library-previous").addEventListener("click", function () { libraryLoad(libraryPage - 1); });
  document.getElementById("library-next").addEventListener("click", function () { libraryLoad(libraryPage + 1); });
  root.querySelectorAll("[data-dialog-close]").forEach(function (button) {
    button.addEventListener("click", function () { button.closest("dialog").close(); });
  });

  // --- The draft document, from the settings as typed ----------------------------------
  function documentBuild() {
    var branding = Object.assign({}, state.branding, { social: {} });
    root.querySelectorAll("[data-branding-form] [data-place]").forEach(function (field) {
      if (field.type === "file") return;
      var name = field.dataset.place.slice("branding.".length);
      if (name.indexOf("social_") === 0) {
        if (field.value.trim()) branding.social[name.slice(7)] = field.value.trim();
      } else {
        branding[name] = field.value;
      }
    });
    branding.logo = pictures["branding.logo"] || null;
    branding.favicon = pictures["branding.favicon"] || null;
    var sections = state.sections.map(function (section) {
      var form = root.querySelector("[data-section-form='" + section.id + "']");
      if (!form) return section;
      var settings = {};
      form.querySelectorAll("[data-place]").forEach(function (field) {
        var name = field.dataset.place.split(".")[2];
        if (field.type === "file") {
          if (pictures[field.dataset.place]) settings[name] = pictures[field.dataset.place];
        } else if (field.type === "checkbox") {
          settings[name] = field.checked;
        } else {
          settings[name] = field.value;
        }
      });
      return { id: section.id, type: section.type, settings: settings };
    });
    return { branding: branding, sections: sections };
  }

  // --- Saving ------------------------------------------------------------------------
  function say(text) { statusLine.textContent = text; }

  function schedule() {
    clearTimeout(timer);
    say("Unsaved changes…");
    timer = setTimeout(saveNow, DEBOUNCE_MS);
  }

  function post(body) {
    return fetch(draftUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().then(function (data) { return { ok: response.ok, data: data }; });
    });
  }

  function saveNow() {
    clearTimeout(timer);
    timer = null;
    if (saving) {  // one save at a time; the latest settings follow it
      return saving.then(saveNow);
    }
    say("Saving…");
    saving = post({ document: documentBuild() })
      .then(function (answer) {
        saving = null;
        if (!answer.ok) {
          errorsShow(answer.data.errors);
          say("Not saved: change what is marked, nothing you typed is lost.");
          return false;
        }
        state = answer.data.document;
        errorsClearAll();
        historyButtons(answer.data);
        say("Saved draft");
        previewReload();
        headingsUpdate();
        return true;
      })
      .catch(function () {
        saving = null;
        say("Not saved: the connection failed. Type again to retry.");
        return false;
      });
    return saving;
  }

  function pendingFlush() {
    if (timer !== null) return saveNow();
    return saving || Promise.resolve(true);
  }

  function historyButtons(data) {
    document.getElementById("undo-button").disabled = !data.can_undo;
    document.getElementById("redo-button").disabled = !data.can_redo;
    document.getElementById("revert-button").disabled = !data.has_unpublished_changes;
    if (data.has_unpublished_changes) publishStatus.textContent = "The draft has changes shoppers do not see yet.";
  }

  function headingsUpdate() {
    state.sections.forEach(function (section) {
      var label = root.querySelector("[data-heading-of='" + section.id + "']");
      if (label) label.textContent = section.settings.heading || "";
    });
  }

  // --- Inline errors -----------------------------------------------------------------
  function errorClear(place) {
    var message = root.querySelector("[data-error-for='" + place + "']");
    if (message) { message.hidden = true; message.textContent = ""; }
    var field = root.querySelector("[data-place='" + place + "']");
    if (field) field.removeAttribute("aria-invalid");
  }
  function errorsClearAll() {
    root.querySelectorAll("[data-error-for]").forEach(function (message) { errorClear(message.dataset.errorFor); });
    var summary = document.getElementById("designer-errors");
    if (summary) summary.hidden = true;
  }
  function errorsShow(errors) {
    errorsClearAll();
    var unplaced = [];
    errors.forEach(function (error) {
      var message = root.querySelector("[data-error-for='" + error.path + "']");
      if (!message) { unplaced.push(error.message); return; }
      message.textContent = (message.hidden ? "" : message.textContent + " ") + error.message;
      message.hidden = false;
      var field = root.querySelector("[data-place='" + error.path + "']");
      if (field) field.setAttribute("aria-invalid", "true");
    });
    if (unplaced.length) say("Not saved: " + unplaced.join(" "));
  }

  // --- Preview -----------------------------------------------------------------------
  function previewReload() {
    var frameWindow = preview.contentWindow;
    var y = 0;
    try { y = frameWindow.scrollY; } catch (error) { y = 0; }
    preview.addEventListener("load", function restore() {
      preview.removeEventListener("load", restore);
      try { preview.contentWindow.scrollTo(0, y); } catch (error) { /* another origin: leave it */ }
    });
    try { frameWindow.location.reload(); } catch (error) { preview.src = preview.src; }
  }

  // a click on a section in the preview chooses it (links and forms there still work)
  function previewEnhance() {
    var frameDocument;
    try { frameDocument = preview.contentDocument; } catch (error) { return; }
    if (!frameDocument || !frameDocument.head || frameDocument.documentElement.dataset.designer) return;
    frameDocument.documentElement.dataset.designer = "1";
    var style = frameDocument.createElement("style");
    style.textContent = "[data-section]:hover { outline: 2px dashed #417690; outline-offset: 4px; cursor: pointer; }";
    frameDocument.head.appendChild(style);
    frameDocument.addEventListener("click", function (event) {
      if (event.target.closest("a, button, input, select, textarea, label, summary, dialog")) return;
      var section = event.target.closest("[data-section]");
      if (section && root.querySelector("[data-settings-for='" + section.dataset.section + "']")) {
        select(section.dataset.section, true);
      }
    });
  }
  preview.addEventListener("load", previewEnhance);
  try { if (preview.contentDocument.readyState === "complete") previewEnhance(); } catch (error) { /* later */ }

  root.querySelectorAll("[data-device]").forEach(function (button) {
    button.addEventListener("click", function () {
      var mobile = button.dataset.device === "mobile";
      document.getElementById("designer-frame").classList.toggle("is-mobile", mobile);
      root.querySelectorAll("[data-device]").forEach(function (other) {
        other.setAttribute("aria-pressed", String(other === button));
      });
    });
  });

  // --- Choosing a section, and the phone's tabs ---------------------------------------
  var tabs = Array.prototype.slice.call(root.querySelectorAll("[role=tab]"));
  function tabShow(name) {
    root.dataset.tab = name;
    tabs.forEach(function (tab) {
      var selected = tab.id === "tab-" + name;
      tab.setAttribute("aria-selected", String(selected));
      tab.tabIndex = selected ? 0 : -1;
    });
  }
  tabs.forEach(function (tab, index) {
    tab.addEventListener("click", function () { tabShow(tab.id.slice(4)); });
    tab.addEventListener("keydown", function (event) {
      var step = event.key === "ArrowRight" ? 1 : event.key === "ArrowLeft" ? -1 : 0;
      if (!step) return;
      var next = tabs[(index + step + tabs.length) % tabs.length];
      next.focus();
      tabShow(next.id.slice(4));
    });
  });
  // the panels are tab panels only while the tabs show (a phone); side by side, each
  // keeps its own heading as its name
  var narrow = window.matchMedia("(max-width: 60rem)");
  var panelNames = {};
  function panelRoles() {
    root.querySelectorAll(".designer-panel").forEach(function (panel) {
      var tab = root.querySelector("[aria-controls='" + panel.id + "']");
      if (!(panel.id in panelNames)) panelNames[panel.id] = panel.getAttribute("aria-labelledby");
      if (narrow.matches) {
        panel.setAttribute("role", "tabpanel");
        panel.setAttribute("aria-labelledby", tab.id);
      } else {
        panel.removeAttribute("role");
        if (panelNames[panel.id]) panel.setAttribute("aria-labelledby", panelNames[panel.id]);
        else panel.removeAttribute("aria-labelledby");
      }
    });
  }
  panelRoles();
  if (narrow.addEventListener) narrow.addEventListener("change", panelRoles);

  function select(id, fromClick) {
    var found = false;
    root.querySelectorAll("[data-settings-for]").forEach(function (panel) {
      var shown = panel.dataset.settingsFor === id;
      panel.hidden = !shown;
      found = found || shown;
    });
    root.querySelectorAll("[data-select]").forEach(function (link) {
      if (link.dataset.select === id) link.setAttribute("aria-current", "true");
      else link.removeAttribute("aria-current");
    });
    try { sessionStorage.setItem("designer-selected", id); } catch (error) { /* private mode */ }
    if (fromClick) tabShow("settings");
    try {
      var shown = preview.contentDocument.querySelector("[data-section='" + id + "']");
      if (shown && fromClick) shown.scrollIntoView({ block: "start" });
    } catch (error) { /* not loaded yet */ }
    return found;
  }
  root.addEventListener("click", function (event) {
    var link = event.target.closest("[data-select]");
    if (!link) return;
    event.preventDefault();
    select(link.dataset.select, true);
    var heading = root.querySelector("[data-settings-for='" + link.dataset.select + "'] h2");
    if (heading) { heading.tabIndex = -1; heading.focus({ preventScroll: true }); }
  });

  var wanted = location.hash.replace(/^#(settings-|design-)?/, "");
  var errored = root.querySelector(".designer-section.has-error, .designer-settings-section .has-error");
  if (errored) wanted = (errored.closest("[data-settings-for]") || errored).dataset.settingsFor || errored.dataset.id;
  var remembered = null;
  try { remembered = sessionStorage.getItem("designer-selected"); } catch (error) { /* private mode */ }
  if (!(wanted && select(wanted)) && !(remembered && select(remembered))) {
    var first = state.sections.length ? state.sections[0].id : "branding";
    select(first);
  }
  tabShow(errored ? "settings" : "sections");

  // --- Forms: save what is typed first; Revert asks; Enter saves ----------------------
  root.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.matches("[data-section-form], [data-branding-form]")) {
      event.preventDefault();
      saveNow();
      return;
    }
    var submitter = event.submitter;
    if (timer !== null || saving) {  // a change still being saved goes first
      event.preventDefault();
      pendingFlush().then(function () {
        if (form.requestSubmit) form.requestSubmit(submitter); else form.submit();
      });
    }
  });

  document.addEventListener("keydown", function (event) {
    if (!(event.ctrlKey || event.metaKey) || event.key.toLowerCase() !== "z" || event.altKey) return;
    var target = event.target;
    var typing = target.matches && target.matches("input:not([type=checkbox]):not([type=file]):not([type=color]), textarea, [contenteditable]");
    if (typing) return;  // the field's own undo of its text
    var button = document.getElementById(event.shiftKey ? "redo-button" : "undo-button");
    event.preventDefault();
    if (!button.disabled) button.click();
  });

  // --- Drag and drop ordering (Up / Down do the same without JavaScript) ---------------
  var list = document.getElementById("section-list");
  var reorder = document.getElementById("reorder-form");
  var dragged = null;
  if (list && reorder) {
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
    list.addEventListener("drop", function (event) { event.preventDefault(); });
    list.addEventListener("dragend", function () {
      if (!dragged) return;
      dragged.classList.remove("dragging");
      dragged = null;
      var ids = Array.prototype.map.call(list.querySelectorAll(".designer-section"), function (item) {
        return item.dataset.id;
      });
      document.getElementById("reorder-order").value = ids.join(",");
      pendingFlush().then(function () { reorder.submit(); });
    });
  }

  // --- The embed snippet's copy button -----------------------------------------------
  var copy = document.getElementById("copy-snippet");
  if (copy) {
    copy.addEventListener("click", function () {
      var text = document.getElementById(copy.dataset.copyTarget).textContent;
      var status = document.getElementById("copy-status");
      function done() { status.textContent = "Copied."; }
      function fallback() {
        var area = document.createElement("textarea");
        area.value = text;
        document.body.appendChild(area);
        area.select();
        try { document.execCommand("copy"); done(); } catch (error) { status.textContent = "Select the snippet and copy it."; }
        area.remove();
      }
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(done, fallback);
      } else {
        fallback();
      }
    });
  }
})();
