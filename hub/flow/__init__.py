"""Flow control: which due invocations are leased, how many run at once per key and how fast
they start. The settings are in hub/config/flow_lease.py; the store's side in
hub/store/flow_lease.py (with flow_lanes.py and flow_rates.py)."""
