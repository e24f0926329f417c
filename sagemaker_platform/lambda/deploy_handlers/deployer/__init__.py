"""Handlers of the deploy-on-approval pipeline: plain functions over plain data, AWS calls in `aws`."""
