/* The bag: kept in the browser, one per shop, paid in one payment by buy-now.
 *
 * No cookie: the lines ({variant_id, quantity}) live in localStorage under the shop's
 * host, so the bag works in the embedded shop page (a third-party iframe) too; where
 * storage is blocked it lives in memory for the page's life. Product pages get "Add to
 * bag" (the variant picker, variant_picker.js, points its data-variant at the chosen
 * option) and a bag link whose count a live region announces. The bag page ([data-bag])
 * asks the shop for today's prices and stock (POST /api/v1/bag/check/), lowers a
 * quantity to what is left, lets the shopper change or remove lines, and hands the
 * lines that can be bought to buy_now.js (the box's data-items), which reserves them
 * and takes one payment for all. A post's tags (templates/posts/_post.html) have Add to
 * bag buttons too, each naming the variant it adds.
 */
(function () {
  "use strict";
  if (window.etalageBag) return; // loaded once per page (a product section and a posts gallery both ask)
  window.etalageBag = true;

  // buy-now's limits (settings ORDERS_MAX_QUANTITY and ORDERS_MAX_LINES); the shop checks them again
  const MAX_QUANTITY = 20;
  const MAX_LINES = 20;
  const KEY = "etalage:bag:" + window.location.host;
  let memory = [];

  function storage() {
    try {
      const store = window.localStorage;
      store.setItem(KEY + ":probe", "1");
      store.removeItem(KEY + ":probe");
      return store;
    } catch (error) {
      return null; // blocked (a third-party frame with storage off): the bag stays in memory
    }
  }
  const store = storage();

  function clean(lines) {
    if (!Array.isArray(lines)) return [];
    const seen = new Set();
    return lines
      .map((line) => ({ variant_id: Number(line.variant_id), quantity: Math.floor(Number(line.quantity)) }))
      .filter((line) => {
        const fine = line.variant_id > 0 && line.quantity > 0 && !seen.has(line.variant_id);
        seen.add(line.variant_id);
        return fine;
      })
      .map((line) => ({ variant_id: line.variant_id, quantity: Math.min(line.quantity, MAX_QUANTITY) }))
      .slice(0, MAX_LINES);
  }

  function read() {
    if (!store) return clean(memory);
    try { return clean(JSON.parse(store.getItem(KEY) || "[]")); } catch (error) { return []; }
  }

  function write(lines) {
    memory = clean(lines);
    if (store) {
      try { store.setItem(KEY, JSON.stringify(memory)); } catch (error) { /* full: memory keeps it */ }
    }
    showCount();
  }

  function count(lines) {
    return lines.reduce((sum, line) => sum + line.quantity, 0);
  }

  function itemsText(n) {
    return n + (n === 1 ? " item" : " items");
  }

  function showCount() {
    const n = count(read());
    document.querySelectorAll("[data-bag-count]").forEach((element) => { element.textContent = String(n); });
    document.querySelectorAll("[data-bag-link]").forEach((link) => {
      link.setAttribute("aria-label", "View bag (" + itemsText(n) + ")");
    });
  }

  function announce(text) {
    document.querySelectorAll("[data-bag-status]").forEach((element) => { element.textContent = text; });
  }

  /* Product pages: Add to bag. */
  function add(variantId) {
    const lines = read();
    const line = lines.find((item) => item.variant_id === variantId);
    if (line) {
      if (line.quantity >= MAX_QUANTITY) return "You already have the most of this item one order takes.";
      line.quantity += 1;
    } else {
      if (lines.length >= MAX_LINES) return "Your bag is full; check out or remove an item first.";
      lines.push({ variant_id: variantId, quantity: 1 });
    }
    write(lines);
    return null;
  }

  document.querySelectorAll("[data-bag-actions]").forEach((actions) => { actions.hidden = false; });
  document.querySelectorAll("button[data-add-to-bag]").forEach((button) => {
    button.addEventListener("click", () => {
      const variantId = Number(button.dataset.variant);
      if (!variantId || button.disabled) {
        announce("This option is sold out or not available; choose another one.");
        return;
      }
      const refused = add(variantId);
      // the options chosen, for a product page's button (a post's tag names its product only)
      const menus = button.closest("[data-buy-now]") ? document.querySelectorAll("[data-variant-picker] select") : [];
      const option = menus.length ? " (" + Array.from(menus).map((menu) => menu.value).join(" / ") + ")" : "";
      announce(refused || "Added " + button.dataset.title + option + " to your bag. " +
        itemsText(count(read())) + " in your bag.");
    });
  });
  window.addEventListener("storage", (event) => { if (event.key === KEY) showCount(); });
  showCount();

  /* The bag page. */
  const page = document.querySelector("[data-bag]");
  if (!page) return;
  const list = page.querySelector("[data-bag-lines]");
  const status = page.querySelector("[data-bag-status]");
  const summary = page.querySelector("[data-bag-summary]");
  const subtotal = page.querySelector("[data-bag-subtotal]");
  const checkout = page.querySelector("[data-bag-checkout]");
  const box = page.querySelector("[data-buy-now]");
  const form = box ? box.querySelector("[data-buy-now-form]") : null;
  const address = box ? box.querySelector(".buy-now-address") : null;
  let currency = "EUR";
  let checking = null;

  function money(amount) {
    return new Intl.NumberFormat(document.documentElement.lang || undefined, { style: "currency", currency: currency })
      .format(Number(amount));
  }

  function say(text) {
    status.textContent = text;
  }

  async function check(lines) {
    const response = await fetch(page.dataset.check, {
      method: "POST",
      credentials: "omit",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ items: lines }),
    });
    if (!response.ok) throw new Error("bag check " + response.status);
    return response.json();
  }

  function optionsText(line) {
    return line.options.map((option) => option.name + ": " + option.value).join(", ");
  }

  function paragraph(className, text) {
    const element = document.createElement("p");
    element.className = className;
    element.textContent = text;
    return element;
  }

  function lineView(line, note) {
    const item = document.createElement("li");
    item.className = "bag-line";
    item.dataset.bagLine = String(line.variant_id);
    const options = optionsText(line);
    const name = line.product_title + (options ? " (" + options + ")" : "");

    const title = document.createElement("a");
    title.className = "bag-line-title";
    title.href = page.dataset.productUrl + encodeURIComponent(line.product_slug) + (page.dataset.embed === "true" ? "" : "/");
    title.textContent = line.product_title;
    item.appendChild(title);
    if (options) item.appendChild(paragraph("bag-line-options", options));
    item.appendChild(paragraph("bag-line-price", money(line.price) + " each"));

    const controls = document.createElement("div");
    controls.className = "bag-line-controls";
    if (line.status === "sold_out") {
      controls.appendChild(paragraph("stock stock-out", "Sold out: not included in your order."));
    } else {
      const id = "bag-quantity-" + line.variant_id;
      const label = document.createElement("label");
      label.htmlFor = id;
      label.innerHTML = 'Quantity <span class="visually-hidden"></span>';
      label.querySelector("span").textContent = "of " + name;
      const input = document.createElement("input");
      input.id = id;
      input.type = "number";
      input.inputMode = "numeric";
      input.min = "1";
      input.max = String(Math.min(line.available, MAX_QUANTITY));
      input.value = String(line.quantity);
      input.addEventListener("change", () => setQuantity(line.variant_id, input.value));
      controls.append(label, input);
    }
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "button button-secondary bag-remove";
    remove.innerHTML = 'Remove <span class="visually-hidden"></span>';
    remove.querySelector("span").textContent = name;
    remove.addEventListener("click", () => removeLine(line.variant_id, name));
    controls.appendChild(remove);
    item.appendChild(controls);

    item.appendChild(paragraph("bag-line-total", line.status === "sold_out" ? "" : money(line.line_total)));
    if (note) item.appendChild(paragraph("bag-line-note", note));
    return item;
  }

  // Ask the shop, lower what it no longer has, show the lines and hand them to buy-now.
  async function refresh(announcement) {
    const lines = read();
    const mine = ++checking;
    if (!lines.length) return show({ lines: [], subtotal: "0", requires_shipping: false }, [], announcement);
    say("Checking your bag…");
    let answer;
    try {
      answer = await check(lines);
    } catch (error) {
      if (mine === checking) say("We could not check your bag just now. Check your connection and reload the page.");
      return;
    }
    if (mine !== checking) return; // a newer check is on its way
    currency = answer.currency;
    const notes = {};
    const kept = [];
    let gone = 0;
    answer.lines.forEach((line) => {
      if (line.status === "gone") { gone += 1; return; }
      if (line.status === "short") {
        notes[line.variant_id] = "Only " + line.available + " left: we lowered the quantity.";
        line.quantity = line.available;
      }
      kept.push({ variant_id: line.variant_id, quantity: line.quantity });
    });
    write(kept);
    const messages = [];
    if (gone) messages.push(gone === 1 ? "An item no longer sold here was removed." : gone + " items no longer sold here were removed.");
    if (announcement) messages.push(announcement);
    show(answer, notes, messages.join(" "));
  }

  function show(answer, notes, announcement) {
    const lines = answer.lines.filter((line) => line.status !== "gone");
    const focused = document.activeElement && document.activeElement.id;
    list.replaceChildren(...lines.map((line) => lineView(line, notes[line.variant_id])));
    if (focused && document.getElementById(focused)) document.getElementById(focused).focus();
    const buyable = lines.filter((line) => line.status === "ok" || line.status === "short");
    summary.hidden = !buyable.length;
    subtotal.textContent = buyable.length ? money(answer.subtotal) : "";
    const n = count(buyable.map((line) => ({ quantity: Math.min(line.quantity, line.available) })));
    const paid = box && box.dataset.state === "paid";
    say((announcement ? announcement + " " : "") +
      (lines.length ? itemsText(n) + " in your bag." : paid ? "" : "Your bag is empty."));
    if (!box) return;
    box.dataset.items = JSON.stringify(buyable.map((line) => ({
      variant_id: line.variant_id, quantity: Math.min(line.quantity, line.available),
    })));
    if (address) {
      // a physical product is shipped: the address is asked for only then
      address.hidden = !answer.requires_shipping;
      address.disabled = !answer.requires_shipping;
    }
    if (!buyable.length) {
      checkout.hidden = true;
      if (form && !paid) form.hidden = true;
    } else if (form.hidden && box.querySelector("[data-buy-now-payment]").hidden) {
      checkout.hidden = false;
    }
    document.dispatchEvent(new CustomEvent("bag:change"));
  }

  function setQuantity(variantId, value) {
    const quantity = Math.floor(Number(value));
    const lines = read();
    const line = lines.find((item) => item.variant_id === variantId);
    if (!line) return;
    if (!(quantity > 0)) return removeLine(variantId, "");
    line.quantity = Math.min(quantity, MAX_QUANTITY);
    write(lines);
    refresh("Quantity changed.");
  }

  function removeLine(variantId, name) {
    write(read().filter((item) => item.variant_id !== variantId));
    refresh((name || "The item") + " removed from your bag.");
    const heading = document.getElementById("bag-title");
    if (heading && !list.contains(document.activeElement)) heading.focus();
  }

  if (checkout) {
    checkout.addEventListener("click", () => {
      checkout.hidden = true;
      form.hidden = false;
      form.querySelector("input[name=email]").focus();
    });
  }
  // a paid bag is empty (buy_now.js says so on the document)
  document.addEventListener("buy-now:paid", () => {
    write([]);
    say("Your bag is empty now that your order is paid.");
    list.replaceChildren();
    summary.hidden = true;
    checkout.hidden = true;
  });
  window.addEventListener("storage", (event) => { if (event.key === KEY) refresh(); });
  refresh();
})();
