"""CloudTrail API calls routed by EventBridge to SQS (needs boto3: `triggerhub[aws]`)."""
