"""The web console: server-rendered pages under /ui/ on the API listener (hub/console/app.py)."""
