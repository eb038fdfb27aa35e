"""A factory module whose client library is not installed (as aiokafka may not be)."""

from typing import Any

import triggerhub_test_client_that_is_not_installed  # type: ignore[import-not-found]


def build(config: Any, context: Any) -> Any:
    return triggerhub_test_client_that_is_not_installed.Source(config, context)
