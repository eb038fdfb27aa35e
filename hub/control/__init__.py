"""What an operator steers at run time: pausing and resuming triggers and functions, and
stopping or redriving many invocations at once."""
