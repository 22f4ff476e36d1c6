"""Marketing consent: who may get a shop's marketing emails (poll launches, review
requests, checkout reminders), double opt-in, RFC 8058 one-click unsubscribe, and the
gate every marketing send goes through (``marketing_allowed``). See docs/consent.md."""
