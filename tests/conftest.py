"""Shared test settings."""

# Needs torch, which is not a dependency: it is run by hand to record tests/data (see its docstring).
collect_ignore = ["torch_reference.py"]
