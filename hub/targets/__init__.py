"""Function targets: how an invocation's event reaches the code that handles it."""
