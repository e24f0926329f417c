"""Lifecycle of a SageMaker Studio domain behind CloudFormation custom resources (CDK Provider framework).

A uniquely named package (not top-level modules) so that the handler's `errors` module never collides
with another handler's when tests import several handlers into one process.
"""
