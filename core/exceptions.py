"""One family of application errors, mapped once to pages, the admin and JSON.

Services raise these; views turn them into a message in the user's language, the API into
`{"detail": ..., "code": ...}` with the status below.
"""

from django.utils.translation import gettext_lazy as _


class ApplicationError(Exception):
    status_code = 400
    default_code = "invalid"
    default_message = _("The request could not be processed.")

    def __init__(self, message=None, *, code: str | None = None, extra: dict | None = None):
        self.message = message if message is not None else self.default_message
        self.code = code or self.default_code
        self.extra = extra or {}
        super().__init__(str(self.message))


class ValidationFailed(ApplicationError):
    status_code = 400
    default_code = "invalid"


class PermissionDenied(ApplicationError):
    status_code = 403
    default_code = "permission_denied"
    default_message = _("You are not allowed to do this.")


class NotFound(ApplicationError):
    status_code = 404
    default_code = "not_found"
    default_message = _("Not found.")


class InvalidTransition(ApplicationError):
    """A step the current state does not allow."""

    status_code = 409
    default_code = "invalid_state"
    default_message = _("This step is not allowed in the current state.")


class Conflict(ApplicationError):
    status_code = 409
    default_code = "conflict"
    default_message = _("This conflicts with the current data.")
