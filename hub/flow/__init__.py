"""Flow control. On the lease side: which due invocations are leased, how many run at once per
key and how fast they start (settings in hub/config/flow_lease.py, the store's side in
hub/store/flow_lease.py with flow_lanes.py and flow_rates.py). On the intake side: what happens
to an event between the trigger and a queued invocation — a debounce folds a burst into one
invocation, a singleton keeps one invocation per key active, batching gathers events into one
invocation, and `cancel_on` lets another trigger's events stop invocations that are waiting or
running. Each decision is taken inside a store transaction, so it holds across daemons sharing
one store and across restarts."""
