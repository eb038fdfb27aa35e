"""Flow control on the intake side: what happens to an event between the trigger and a queued
invocation. A debounce folds a burst into one invocation, a singleton keeps one invocation per
key active, and `cancel_on` lets another trigger's events stop invocations that are waiting or
running. Each decision is taken inside the store's submit transaction, so it holds across
daemons sharing one store and across restarts."""
