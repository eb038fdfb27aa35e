"""The HTTP API's defaults, written once: the triggers file's `hub.api` settings, the Python API
(`create_app`, `ApiServer`) and the CLI's client read them here. Standard library only, since
the CLI's client is."""

DEFAULT_LISTEN = "127.0.0.1:8080"
DEFAULT_TOKEN_ENV = "TRIGGERHUB_API_TOKEN"
BODY_TIMEOUT = 60.0
HEADER_TIMEOUT = 10.0
MAX_CONNECTIONS = 1000
