"""Linux auditd log files: records parsed, grouped by event serial, filtered and invoked."""
