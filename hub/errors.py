"""One exception tree: configuration, store, function outcomes and control-flow signals apart."""


class TriggerHubError(Exception):
    """Base of every error triggerhub raises on purpose."""


class ConfigError(TriggerHubError):
    """The configuration is invalid; the message names the file, line and field."""


class StoreError(TriggerHubError):
    """The invocation store could not complete an operation."""


class StoreFullError(StoreError):
    """The store cannot write for want of space; it writes again once space returns."""


class UnknownFunctionError(TriggerHubError):
    """An invocation names a function that is not configured."""


class NotFoundError(TriggerHubError):
    """No invocation with that id."""


class InvalidStateError(TriggerHubError):
    """The operation does not apply to the invocation's current status."""


class FunctionError(TriggerHubError):
    """A function attempt failed; retryable unless a subclass says otherwise.

    `status_code` (http targets) and `exit_code` (command targets) go into the destination
    record's `response_context`."""

    def __init__(
        self, message: str, *, status_code: int | None = None, exit_code: int | None = None
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.exit_code = exit_code


class NonRetryableError(FunctionError):
    """Raise from a python function when retrying cannot help (bad input, permanent refusal)."""


class RetryAfter(FunctionError):
    """Raise from a python function to be retried after `seconds` (counts as an attempt)."""

    def __init__(
        self, seconds: float, message: str = "", *, status_code: int | None = None
    ) -> None:
        super().__init__(
            message or f"function asked to retry after {seconds:g}s", status_code=status_code
        )
        self.seconds = seconds


class MissingExtraError(TriggerHubError):
    """An optional client library is not installed."""

    def __init__(self, module: str, extra: str) -> None:
        super().__init__(
            f"the Python package {module!r} is not installed; "
            f"install it with: pip install 'triggerhub[{extra}]'"
        )
