"""How many events one batch request may carry: the API's limit, and the size the client
splits a larger batch into. Its own module so the stdlib-only client can import it."""

MAX_BATCH_EVENTS = 1000
