"""The audit log: who among the staff (or which API key) changed what, and when.

The actor of the current request is kept in a context variable (``shops.audit.actors``),
set by the admin's requests (``AuditActorMiddleware``) and by the API's authentication;
the services record an entry where they make the change (``audit_record``), so every
surface that writes through them is covered. Work with no actor (the shop's own
machinery: buy-now, the worker, the beat) records nothing.
"""
