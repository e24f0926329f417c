"""Scripts the platform installs into Studio apps through lifecycle configurations (standard library + boto3)."""
