/* Buy now: reserve the items (POST /api/v1/buy-now/), then pay with Stripe.js.
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
    let idempotencyKey = null;
    let lastBody = null;

    function say(text, isError) {
      message.textContent = text;
      message.classList.toggle("is-error", Boolean(isError));
    }
    function errorText(answer, fallback) {
      return (answer && answer.error && answer.error.message) || fallback;
    }

    if (start) {
      start.addEventListener("click", () => {
        form.hidden = false;
        start.hidden = true;
        form.querySelector("input[name=email]").focus();
      });
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
    });

    // The bag page (bag.js) changed its lines: a reservation made before is for other items.
    document.addEventListener("bag:change", () => {
      if (start || box.dataset.state === "paid" || paymentBox.hidden) return;
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
      const body = JSON.stringify({
        items: items,
        email: String(data.get("email") || "").trim(),
        shipping_address: address,
        coupon: box.dataset.coupon || "",
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
      if (!result.ok) {
        say(errorText(result.answer, "Something went wrong; please try again."), true);
        cont.disabled = false;
        // the field at fault (shipping_address.city → the City input) gets the focus
        const field = (result.answer.error && result.answer.error.field) || "";
        const input = field.startsWith("shipping_address.")
          ? form.querySelector("[name='" + field.slice("shipping_address.".length) + "']")
          : null;
        if (input) {
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
      box.querySelector("[data-buy-now-total]").textContent =
        new Intl.NumberFormat(undefined, { style: "currency", currency: order.currency }).format(Number(order.total));
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
