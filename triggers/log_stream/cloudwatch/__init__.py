"""CloudWatch Logs as a `log_stream` source (needs boto3: `pip install 'triggerhub[aws]'`)."""
