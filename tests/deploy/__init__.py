"""The deploy/ folder: alert rules, dashboard, compose stack, Kubernetes manifests, image."""
