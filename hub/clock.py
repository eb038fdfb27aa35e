"""The wall clock, in one place so tests can move it."""

import time

now = time.time
