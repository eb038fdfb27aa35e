"""The Kubernetes API server's audit webhook: EventLists posted to the hub's HTTP API."""
