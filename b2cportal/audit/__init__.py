"""One audit trail for every mutation: who, when, which object, what changed, from where.

Services call `b2cportal.audit.services.record(...)`; screens read `selectors.history_of(...)`.
The app sits beside companies at the bottom of the layers: it names objects by content type and
id and never imports a higher app.
"""
