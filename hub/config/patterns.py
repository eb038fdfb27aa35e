"""Patterns that config models in several places share, written once."""

HTTP_SCHEME = r"https?://"
HTTP_URL_PATTERN = f"^{HTTP_SCHEME}"
"""An http:// or https:// URL: webhook targets and destinations, AWS endpoints, SQS queues."""
ENV_VAR_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
"""An environment variable's name, as `${VAR}` and the `*_env` settings take it."""
ENV_VAR_NAME_PATTERN = f"^{ENV_VAR_NAME}$"
