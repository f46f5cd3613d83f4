"""Shared test settings."""

# They need torch, which is not a dependency: they are run by hand to record tests/data (see their docstrings).
collect_ignore = ["torch_reference.py", "torch_schedules.py", "torch_network_reference.py"]
