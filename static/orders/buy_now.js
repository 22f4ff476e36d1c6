/* Buy now: price the checkout (POST /api/v1/checkout/quote/: shipping methods for the
 * country, the discount code, tax and total, shown as the summary), reserve the items
 * (POST /api/v1/buy-now/, with the total shown as expected_total: if the shop's total
 * changed meanwhile, the new summary is shown before paying), then pay with Stripe.js.
 *
 * No cookie is read or sent (credentials: "omit"), so it works inside third-party
 * iframes. Stripe.js is loaded from the URL buy-now answers with (STRIPE_JS_URL).
 * With Stripe's own Stripe.js the Payment Element takes the payment in the browser;
 * a Stripe.js without it (localstripe's stand-in only has the card element) gets a
 * card element whose token the shop's server confirms the payment with.
 *
 * Once the order is paid the page goes to its confirmation (order-paid: a form POST of
 * the client secret, answered with a redirect to the order's signed confirmation page),
 * inside the embed's iframe too (embed=1 keeps the page frameable there).
 */
(function () {
  "use strict";

  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function utmFromLocation() {
    const params = new URLSearchParams(window.location.search);
    const utm = {};
    ["source", "medium", "campaign"].forEach((name) => {
      const value = params.get("utm_" + name);
      if (value) utm[name] = value;
    });
    return utm;
  }

  // A tag click on a shoppable post (posts.js) brings ?post=<id>&view=<page view token>.
  function postFromLocation() {
    const params = new URLSearchParams(window.location.search);
    const id = Number(params.get("post"));
    const view = params.get("view") || "";
    return id > 0 && view ? { id: id, view: view } : undefined;
  }

  const scripts = {};
  function loadScript(url) {
    if (!scripts[url]) {
      scripts[url] = new Promise((resolve, reject) => {
        const script = document.createElement("script");
        script.src = url;
        script.onload = resolve;
        script.onerror = () => reject(new Error("Stripe.js did not load"));
        document.head.appendChild(script);
      });
    }
    return scripts[url];
  }

  async function postJSON(url, body, headers) {
    const response = await fetch(url, {
      method: "POST",
      credentials: "omit",
      headers: Object.assign({ "Content-Type": "application/json" }, headers || {}),
      body: body,
    });
    let answer = {};
    try { answer = await response.json(); } catch (error) { answer = {}; }
    return { ok: response.ok, status: response.status, answer: answer };
  }

  function setup(box) {
    if (box.dataset.ready) return;
    box.dataset.ready = "true";
    const endpoint = box.dataset.endpoint;
    const ordersUrl = endpoint; // an order is read and paid at buy-now/<order id>/
    const start = box.querySelector("button.buy-now");
    const form = box.querySelector("[data-buy-now-form]");
    const cont = box.querySelector("[data-buy-now-continue]");
    const paymentBox = box.querySelector("[data-buy-now-payment]");
    const payButton = box.querySelector("[data-buy-now-pay]");
    const message = box.querySelector("[data-buy-now-message]");
    const isEmbed = box.hasAttribute("data-embed");
    const quoteEndpoint = box.dataset.quoteEndpoint;
    const country = form.querySelector("select[name=country]");
    const countryMessage = form.querySelector("[data-country-message]");
    const ratesBox = form.querySelector("[data-shipping-rates]");
    const rateChoices = form.querySelector("[data-rate-choices]");
    const ratesMessage = form.querySelector("[data-rates-message]");
    const codeInput = form.querySelector("input[name=discount_code]");
    const applyCode = form.querySelector("[data-apply-code]");
    const codeMessage = form.querySelector("[data-code-message]");
    const summary = form.querySelector("[data-summary]");
    const summaryBody = form.querySelector("[data-summary-body]");
    const paymentSummary = box.querySelector("[data-payment-summary]");
    let idempotencyKey = null;
    let lastBody = null;
    let appliedCode = codeInput && codeInput.value.trim() ? codeInput.value.trim() : "";
    let quote = null; // the shop's last answer: what the summary shows, and expected_total
    let quoteSerial = 0;

    function say(text, isError) {
      message.textContent = text;
      message.classList.toggle("is-error", Boolean(isError));
    }
    function errorText(answer, fallback) {
      return (answer && answer.error && answer.error.message) || fallback;
    }

    // --- The items, and the summary priced by the shop ---------------------------------

    function currentItems() {
      if (box.dataset.items) return JSON.parse(box.dataset.items);
      if (!start || !start.dataset.variant) return [];
      const quantity = form.querySelector("input[name=quantity]");
      return [{ variant_id: Number(start.dataset.variant), quantity: Number((quantity && quantity.value) || 1) }];
    }

    function money(amount, currency) {
      return new Intl.NumberFormat(document.documentElement.lang || "en", { style: "currency", currency: currency }).format(Number(amount));
    }

    function chosenRate() {
      const checked = form.querySelector("input[name=shipping_rate]:checked");
      return checked ? Number(checked.value) : null;
    }

    function cell(tag, text, className) {
      const element = document.createElement(tag);
      if (text !== undefined) element.textContent = text;
      if (className) element.className = className;
      return element;
    }

    function row(label, amount, className, scope) {
      const tr = cell("tr", undefined, className);
      const th = cell("th", label);
      th.scope = scope || "row";
      tr.append(th, cell("td", amount));
      return tr;
    }

    // The summary: each line with its options, subtotal, shipping, discount, tax, total.
    function summaryTable(answer) {
      const currency = answer.currency;
      const table = cell("table");
      const body = cell("tbody");
      answer.lines.forEach((line) => {
        const tr = cell("tr");
        const th = cell("th", line.quantity + " × " + line.product_title);
        th.scope = "row";
        const options = line.options.map((option) => option.name + ": " + option.value).join(", ");
        if (options) th.append(cell("span", options, "summary-options"));
        tr.append(th, cell("td", money(line.amount, currency)));
        body.append(tr);
      });
      const foot = cell("tfoot");
      foot.append(row("Subtotal", money(answer.subtotal, currency)));
      if (answer.requires_shipping) {
        const rate = answer.shipping_rates.find((r) => r.id === answer.shipping_rate);
        foot.append(row("Shipping" + (rate ? " (" + rate.name + ")" : ""),
          rate ? (Number(answer.shipping) ? money(answer.shipping, currency) : "Free")
            : (shipsFree(answer) ? "Free" : "Choose a method")));
      }
      if (Number(answer.discount)) {
        foot.append(row("Discount (" + answer.discount_code + ")", "−" + money(answer.discount, currency)));
      }
      const tax = answer.tax;
      if (Number(tax.amount) && !tax.included) foot.append(row(tax.name, money(tax.amount, currency), "summary-tax"));
      foot.append(row("Total", money(answer.total, currency), "summary-total"));
      if (Number(tax.amount) && tax.included) {
        foot.append(row("Including " + tax.name, money(tax.amount, currency), "summary-tax"));
      }
      table.append(body, foot);
      return table;
    }

    // A shop with no shipping zone ships everywhere for free: a country with no rate and
    // no "we do not ship there" is that case, not a missing method.
    function shipsFree(answer) {
      return Boolean(answer.requires_shipping && answer.country && !answer.shipping_rates.length &&
        !(answer.errors || []).some((error) => error.field === "country"));
    }

    function showRates(answer) {
      if (!ratesBox) return;
      ratesBox.hidden = !answer.requires_shipping;
      if (!answer.requires_shipping) return;
      const chosen = answer.shipping_rate;
      rateChoices.replaceChildren();
      answer.shipping_rates.forEach((rate) => {
        const id = "buy-now-rate-" + rate.id;
        const wrap = cell("div", undefined, "buy-now-rate");
        const input = document.createElement("input");
        input.type = "radio";
        input.name = "shipping_rate";
        input.value = String(rate.id);
        input.id = id;
        input.checked = rate.id === chosen;
        const label = cell("label", rate.name + " · " + (Number(rate.price) ? money(rate.price, answer.currency) : "Free"));
        label.htmlFor = id;
        if (rate.free_over && Number(rate.price)) {
          label.append(cell("span", "Free from " + money(rate.free_over, answer.currency), "help"));
        }
        wrap.append(input, label);
        rateChoices.append(wrap);
      });
      ratesMessage.textContent = answer.country
        ? (answer.shipping_rates.length ? "" : (shipsFree(answer) ? "Shipping is free." : "No shipping method for this country."))
        : "Choose the country to see the shipping methods.";
    }

    function showQuote(answer) {
      quote = answer;
      const errors = {};
      (answer.errors || []).forEach((error) => { errors[error.field] = error.message; });
      showRates(answer);
      if (country && countryMessage) {
        countryMessage.textContent = errors.country || "";
        countryMessage.classList.toggle("is-error", Boolean(errors.country));
        if (errors.country) country.setAttribute("aria-invalid", "true"); else country.removeAttribute("aria-invalid");
      }
      if (errors.shipping_rate && ratesMessage) ratesMessage.textContent = errors.shipping_rate;
      if (codeInput) {
        if (errors.discount_code) {
          codeMessage.textContent = errors.discount_code;
          codeMessage.className = "help is-error";
          codeInput.setAttribute("aria-invalid", "true");
          appliedCode = "";
        } else if (answer.discount_code) {
          codeMessage.textContent = "Code " + answer.discount_code + " applied" +
            (Number(answer.discount) ? ": −" + money(answer.discount, answer.currency) + "." : ".");
          codeMessage.className = "help is-ok";
          codeInput.removeAttribute("aria-invalid");
        } else if (!appliedCode) {
          codeInput.removeAttribute("aria-invalid");
        }
      }
      summaryBody.replaceChildren(summaryTable(answer));
      summary.hidden = false;
    }

    // Ask the shop what the checkout costs now (latest answer wins); ``pending`` is the
    // question on its way, if any.
    let pending = null;
    function refreshQuote() {
      const run = fetchQuote();
      pending = run;
      run.finally(() => { if (pending === run) pending = null; });
      return run;
    }

    // Whether the summary shown is not for the choices made (a country chosen since).
    function quoteIsStale() {
      const chosenCountry = country && !country.matches(":disabled") ? country.value : "";
      return !quote || (chosenCountry && quote.country !== chosenCountry) ||
        (quote.requires_shipping && chosenCountry && quote.shipping_rate === null);
    }

    async function fetchQuote() {
      const items = currentItems();
      if (!quoteEndpoint || !items.length) return null;
      const serial = ++quoteSerial;
      const body = { items: items, discount_code: appliedCode };
      if (country && country.value && !country.matches(":disabled")) body.country = country.value;
      const rate = chosenRate();
      if (rate) body.shipping_rate = rate;
      const email = String(form.querySelector("input[name=email]").value || "").trim();
      if (email && email.includes("@")) body.email = email;
      let result;
      try {
        result = await postJSON(quoteEndpoint, JSON.stringify(body));
      } catch (error) {
        return null;
      }
      if (serial !== quoteSerial) return null;
      if (!result.ok) {
        say(errorText(result.answer, "The total could not be worked out; please try again."), true);
        return null;
      }
      // the cheapest method is chosen until the shopper picks another
      const answer = result.answer;
      if (answer.requires_shipping && answer.shipping_rate === null && answer.shipping_rates.length &&
          !(answer.errors || []).some((error) => error.field === "country")) {
        body.shipping_rate = answer.shipping_rates[0].id;
        const again = await postJSON(quoteEndpoint, JSON.stringify(body)).catch(() => null);
        if (serial !== quoteSerial) return null;
        if (again && again.ok) {
          showQuote(again.answer);
          return again.answer;
        }
      }
      showQuote(answer);
      return answer;
    }

    if (country) country.addEventListener("change", () => {
      rateChoices.replaceChildren(); // the methods of another country
      refreshQuote();
    });
    if (rateChoices) rateChoices.addEventListener("change", () => refreshQuote());
    if (applyCode) {
      const apply = () => {
        appliedCode = codeInput.value.trim();
        codeMessage.textContent = appliedCode ? "Checking the code…" : "";
        codeMessage.className = "help";
        refreshQuote();
      };
      applyCode.addEventListener("click", apply);
      codeInput.addEventListener("keydown", (event) => {
        if (event.key === "Enter") { event.preventDefault(); apply(); }
      });
    }
    const quantityInput = form.querySelector("input[name=quantity]");
    if (quantityInput) quantityInput.addEventListener("change", () => refreshQuote());
    form.querySelector("input[name=email]").addEventListener("change", () => { if (appliedCode) refreshQuote(); });

    if (start) {
      start.addEventListener("click", () => {
        form.hidden = false;
        start.hidden = true;
        form.querySelector("input[name=email]").focus();
        refreshQuote();
      });
    } else if (!form.hidden) {
      refreshQuote();
    }

    // The picker (variant_picker.js) points the Buy now button at the chosen variant.
    // A change after the reservation starts over: the reserved order is another item.
    document.addEventListener("variant:change", () => {
      if (!start || box.dataset.state === "paid") return;
      if (!paymentBox.hidden) {
        paymentBox.hidden = true;
        form.hidden = false;
        cont.disabled = false;
        say("You changed the option: continue to payment again to reserve it.");
      } else if (!form.hidden) {
        say("");
      }
      if (!form.hidden) refreshQuote();
    });

    // The bag page (bag.js) changed its lines: a reservation made before is for other items.
    document.addEventListener("bag:change", () => {
      if (start || box.dataset.state === "paid") return;
      refreshQuote();
      if (paymentBox.hidden) return;
      paymentBox.hidden = true;
      form.hidden = false;
      cont.disabled = false;
      say("Your bag changed: continue to payment again to reserve it.");
    });

    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (start && (start.disabled || !start.dataset.variant)) {
        say("This option is sold out or not available; choose another one.", true);
        return;
      }
      const data = new FormData(form);
      const items = box.dataset.items
        ? JSON.parse(box.dataset.items)
        : [{ variant_id: Number(start.dataset.variant), quantity: Number(data.get("quantity") || 1) }];
      const address = {};
      ["name", "line1", "line2", "postal_code", "city", "country"].forEach((name) => {
        const value = String(data.get(name) || "").trim();
        if (value) address[name] = value;
      });
      // the summary must be for the choices as they stand: a country just chosen (its
      // methods on their way), a code typed but not applied (the summary shows it first).
      // A total that changed since is the shop's to find out (expected_total).
      const codeTyped = Boolean(codeInput) && codeInput.value.trim() !== appliedCode;
      if (codeTyped) appliedCode = codeInput.value.trim();
      cont.disabled = true;
      if (pending) await pending.catch(() => null);
      if (codeTyped || quoteIsStale()) {
        const checked = await refreshQuote();
        if (codeTyped && (!checked || (checked.errors || []).some((e) => e.field === "discount_code"))) {
          cont.disabled = false;
          return;
        }
      }
      cont.disabled = false;
      const body = JSON.stringify({
        items: items,
        email: String(data.get("email") || "").trim(),
        marketing_consent: data.get("marketing_consent") === "on",
        shipping_address: address,
        shipping_rate: chosenRate(),
        discount_code: appliedCode,
        expected_total: quote ? quote.total : undefined,
        utm: box.dataset.utm ? JSON.parse(box.dataset.utm) : utmFromLocation(),
        post: postFromLocation(),
      });
      // A retry of the same request keeps its key, so it cannot reserve twice.
      if (body !== lastBody) {
        idempotencyKey = newKey();
        lastBody = body;
      }
      cont.disabled = true;
      say("Reserving your items…");
      let result;
      try {
        result = await postJSON(endpoint, body, { "Idempotency-Key": idempotencyKey });
      } catch (error) {
        say("We could not reach the shop. Check your connection and try again.", true);
        cont.disabled = false;
        return;
      }
      form.querySelectorAll("[aria-invalid]").forEach((input) => input.removeAttribute("aria-invalid"));
      form.querySelectorAll("[data-field-message]").forEach((note) => {
        note.textContent = "";
        note.classList.remove("is-error");
      });
      if (!result.ok) {
        say(errorText(result.answer, "Something went wrong; please try again."), true);
        cont.disabled = false;
        const error = result.answer.error || {};
        if (error.code === "total_changed" && error.quote) {
          // nothing was held: the shopper sees the new summary before paying
          showQuote(error.quote);
          say("The total has changed to " + money(error.quote.total, error.quote.currency) +
            " since you saw it; check the summary, then continue to payment.", true);
          summary.scrollIntoView({ block: "nearest" });
          return;
        }
        // the field at fault (shipping_address.city → the City input) gets the focus
        const field = error.field || "";
        const input = field.startsWith("shipping_address.")
          ? form.querySelector("[name='" + field.slice("shipping_address.".length) + "']")
          : field === "discount_code" ? codeInput
          : field === "shipping_rate" ? (form.querySelector("input[name=shipping_rate]") || country)
          : null;
        if (field === "discount_code" || field === "shipping_rate") refreshQuote();
        if (input) {
          // beside the field too, where it has a place for it (the postal code's shape)
          const note = form.querySelector("[data-field-message='" + input.name + "']");
          if (note) {
            note.textContent = errorText(result.answer, "");
            note.classList.add("is-error");
          }
          input.setAttribute("aria-invalid", "true");
          input.focus();
        }
        return;
      }
      try {
        await startPayment(result.answer);
      } catch (error) {
        say("The payment form could not be loaded; please try again.", true);
        cont.disabled = false;
      }
    });

    // order-paid (/orders/<id>/paid/): where the paid order's confirmation is opened
    function paidUrl(order) {
      return "/orders/" + order.id + "/paid/" + (isEmbed ? "?embed=1" : "");
    }

    function showConfirmation(order, secret) {
      const post = document.createElement("form");
      post.method = "post";
      post.action = paidUrl(order);
      post.hidden = true;
      const field = document.createElement("input");
      field.type = "hidden";
      field.name = "secret";
      field.value = secret;
      post.appendChild(field);
      document.body.appendChild(post);
      post.submit();
    }

    async function waitForPaid(order, secret) {
      say("Confirming your payment…");
      const url = ordersUrl + order.id + "/";
      for (let attempt = 0; attempt < 60; attempt += 1) {
        try {
          const response = await fetch(url, {
            credentials: "omit",
            headers: { "X-Client-Secret": secret },
          });
          const answer = await response.json();
          if (answer.status === "paid") {
            paymentBox.hidden = true;
            say("Paid! Opening your order confirmation…");
            box.dataset.state = "paid";
            document.dispatchEvent(new CustomEvent("buy-now:paid", { detail: { order: answer.number } }));
            showConfirmation(order, secret);
            return;
          }
          if (answer.status === "cancelled" || answer.status === "refunded") {
            say("This order could not be completed (" + answer.status + "); you were not charged, or have been refunded.", true);
            return;
          }
        } catch (error) { /* try again */ }
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
      // still unconfirmed: the confirmation page says so and looks again by itself
      showConfirmation(order, secret);
    }

    async function startPayment(answer) {
      const payment = answer.payment;
      const order = answer.order;
      await loadScript(payment.stripe_js_url);
      const stripe = payment.stripe_account
        ? window.Stripe(payment.publishable_key, { stripeAccount: payment.stripe_account })
        : window.Stripe(payment.publishable_key);
      const mount = box.querySelector("[data-payment-element]");
      mount.replaceChildren(); // a new reservation (the option changed) gets a fresh form
      box.querySelector("[data-buy-now-total]").textContent = money(order.total, order.currency);
      // the summary of what is paid for, as the shop priced the order
      if (paymentSummary) {
        paymentSummary.replaceChildren(quote && quote.total === order.total ? summaryTable(quote) : "");
        paymentSummary.closest("section").hidden = !(quote && quote.total === order.total);
      }
      form.hidden = true;
      paymentBox.hidden = false;
      say("Reserved for you. Enter your card to pay.");

      if (typeof stripe.confirmPayment === "function") {
        const elements = stripe.elements({ clientSecret: payment.client_secret });
        elements.create("payment").mount(mount);
        payButton.onclick = async () => {
          payButton.disabled = true;
          say("Paying…");
          const result = await stripe.confirmPayment({
            elements: elements,
            // a payment that redirects (3-D Secure, some wallets) comes back to order-paid
            confirmParams: { return_url: new URL(paidUrl(order), window.location.href).href },
            redirect: "if_required",
          });
          if (result.error) {
            // the PaymentIntent stays payable after a decline: the same form takes another card
            const tryAnother = result.error.type === "card_error" ? " Try another card." : "";
            say((result.error.message || "The payment did not go through.") + tryAnother, true);
            payButton.disabled = false;
            return;
          }
          await waitForPaid(order, payment.client_secret);
        };
        return;
      }

      const card = stripe.elements().create("card");
      card.mount(mount);
      payButton.onclick = async () => {
        payButton.disabled = true;
        say("Paying…");
        const token = await stripe.createToken(card);
        if (token.error || !token.token) {
          say((token.error && token.error.message) || "Check the card details.", true);
          payButton.disabled = false;
          return;
        }
        const result = await postJSON(
          ordersUrl + order.id + "/pay/",
          JSON.stringify({ secret: payment.client_secret, token: token.token.id })
        );
        if (!result.ok && result.status === 409) {
          // the reservation has ended: back to the form, which reserves anew (a new key)
          lastBody = null;
          paymentBox.hidden = true;
          form.hidden = false;
          cont.disabled = false;
          say(errorText(result.answer, "Continue to payment again to reserve the items."), true);
          return;
        }
        if (!result.ok) {
          // a declined card keeps the order held: the shopper tries another in this form
          say(errorText(result.answer, "The payment did not go through; try another card."), true);
          payButton.disabled = false;
          return;
        }
        if (result.answer.status === "requires_action" && stripe.confirmCardPayment) {
          const confirmed = await stripe.confirmCardPayment(payment.client_secret);
          if (confirmed.error) {
            say(confirmed.error.message || "The card was not authenticated.", true);
            payButton.disabled = false;
            return;
          }
        }
        await waitForPaid(order, payment.client_secret);
      };
    }
  }

  document.querySelectorAll("[data-buy-now]").forEach(setup);
})();
