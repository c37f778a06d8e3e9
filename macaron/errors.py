"""Domain errors: raised by services, turned into one JSON shape by `macaron.api`."""


class DomainError(Exception):
    """An expected refusal with a message that is safe to show to the person."""

    status_code = 400
    code = "invalid"

    def __init__(self, message: str, *, code: str | None = None, fields: dict | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.fields = fields or {}


class NotFound(DomainError):
    status_code = 404
    code = "not_found"


class PermissionDenied(DomainError):
    status_code = 403
    code = "permission_denied"


class Conflict(DomainError):
    status_code = 409
    code = "conflict"


class TooLarge(DomainError):
    status_code = 413
    code = "too_large"


class RateLimited(DomainError):
    status_code = 429
    code = "rate_limited"
