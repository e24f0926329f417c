"""The inference gateway's handler logic: plain functions over plain data, AWS calls behind `Runtime`."""
