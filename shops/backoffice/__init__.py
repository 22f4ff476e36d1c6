"""The merchant's back office: the shop admin organised by task (navigation), its Home
(onboarding checklist and the day's figures), and the pages that have no model of their
own (share and embed, customers, analytics)."""
