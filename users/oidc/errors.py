"""Why a sign-in was refused: one message for the person, one reason code for the log."""

import logging

logger = logging.getLogger("users.oidc")


class SignInRefused(Exception):
    """A refused OpenID Connect sign-in.

    `message` is shown to the user (or returned by the API); `reason` is a short code for
    the log line; `status` is the HTTP status the API answers with and `field` the input
    field to blame, if any. Neither ever holds a token or a secret.
    """

    def __init__(self, message: str, *, reason: str, status: int = 401, field: str | None = None):
        super().__init__(message)
        self.message, self.reason, self.status, self.field = message, reason, status, field


def refusal_log(*, refusal: SignInRefused, provider: str, flow: str) -> None:
    logger.warning("OpenID Connect %s refused: provider=%s reason=%s: %s", flow,
                   provider, refusal.reason, refusal.message,
                   extra={"oidc_provider": provider, "oidc_reason": refusal.reason})
