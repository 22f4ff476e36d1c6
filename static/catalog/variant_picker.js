/* The product page's variant picker: a change of option applies at once.
 *
 * The server renders the page for one variant and describes every variant in
 * #variant-data (id, options, price, stock, availability text, picture). On a change
 * this script finds the variant with the chosen options and shows its price,
 * availability and picture, and points the Buy now and Add to bag buttons
 * (data-variant) at it: buy_now.js and bag.js read that attribute when used. A sold-out
 * or missing combination disables Buy now. Without JavaScript the picker is a GET
 * form ("Show this option") that the server resolves the same way.
 */
(function () {
  "use strict";

  const form = document.querySelector("[data-variant-picker]");
  const source = document.getElementById("variant-data");
  if (!form || !source) return;
  const variants = JSON.parse(source.textContent);
  const selects = Array.from(form.querySelectorAll("select"));
  const byId = selects.length === 1 && selects[0].name === "variant";
  const summary = document.querySelector("[data-variant-summary]");
  const priceLine = summary.querySelector(".price");
  const price = summary.querySelector("[data-price]");
  const compareAt = summary.querySelector("[data-compare-at]");
  const compareAtPrice = summary.querySelector("[data-compare-at-price]");
  const availability = summary.querySelector("[data-availability]");
  const gallery = document.querySelector("[data-gallery]");

  form.querySelector("[data-picker-submit]").hidden = true;

  function matching(chosen) {
    return variants.find((variant) => variant.options.every((value, axis) => value === chosen[axis])) || null;
  }

  function chosenVariant() {
    if (byId) return variants.find((variant) => String(variant.id) === selects[0].value) || null;
    return matching(selects.map((select) => select.value));
  }

  // Each menu's values say what they lead to with the other menus as they are now.
  function relabel() {
    if (byId) return;
    const chosen = selects.map((select) => select.value);
    selects.forEach((select, axis) => {
      Array.from(select.options).forEach((option) => {
        const combination = chosen.slice();
        combination[axis] = option.value;
        const variant = matching(combination);
        option.textContent = variant
          ? option.value + " · " + variant.price + (variant.stock > 0 ? "" : " (out of stock)")
          : option.value + " (not available)";
      });
    });
  }

  function showPicture(imageId) {
    if (!gallery || !imageId) return;
    const item = gallery.querySelector('[data-image="' + imageId + '"]');
    if (!item) return;
    const img = item.querySelector("img");
    if (img) img.loading = "eager";
    const still = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    gallery.scrollTo({ left: item.offsetLeft - gallery.offsetLeft, behavior: still ? "auto" : "smooth" });
  }

  function rememberInAddress(variant) {
    const url = new URL(window.location.href);
    ["option1", "option2", "option3"].forEach((name) => url.searchParams.delete(name));
    if (variant) url.searchParams.set("variant", String(variant.id));
    else url.searchParams.delete("variant");
    try { window.history.replaceState(null, "", url); } catch (error) { /* sandboxed frame */ }
  }

  function apply() {
    const variant = chosenVariant();
    relabel();
    priceLine.hidden = !variant;
    if (variant) {
      price.textContent = variant.price;
      compareAt.hidden = !variant.compare_at_price;
      compareAtPrice.textContent = variant.compare_at_price || "";
      availability.textContent = variant.availability;
    } else {
      availability.textContent = "Not available in this combination; choose another option.";
    }
    const inStock = Boolean(variant && variant.stock > 0);
    availability.classList.toggle("stock-in", inStock);
    availability.classList.toggle("stock-out", !inStock);
    document.querySelectorAll("button.buy-now, button.add-to-bag").forEach((button) => {
      button.dataset.variant = variant ? String(variant.id) : "";
      button.disabled = !inStock;
      if (inStock) button.removeAttribute("aria-disabled");
      else button.setAttribute("aria-disabled", "true");
    });
    const quantity = document.getElementById("buy-now-quantity");
    if (quantity && inStock) {
      quantity.max = String(variant.stock);
      if (Number(quantity.value) > variant.stock) quantity.value = String(variant.stock);
    }
    if (variant) showPicture(variant.image);
    rememberInAddress(variant);
    document.dispatchEvent(new CustomEvent("variant:change", { detail: { variant: variant } }));
  }

  selects.forEach((select) => select.addEventListener("change", apply));
  form.addEventListener("submit", (event) => { event.preventDefault(); apply(); });

  // A menu changed before this deferred script ran (a quick shopper on a slow network,
  // or the browser restoring the form on Back) was never heard: the buttons would still
  // buy the variant the page was rendered for. They follow what the menus show.
  const shown = chosenVariant();
  const button = document.querySelector("button.buy-now, button.add-to-bag");
  if (button && (button.dataset.variant || "") !== (shown ? String(shown.id) : "")) apply();
})();
