"""Which paths the console serves (it authenticates them itself, with a login page)."""

PREFIX = "/ui/"


def is_console_path(path: str) -> bool:
    return path in {"/", "/ui"} or path.startswith(PREFIX)
