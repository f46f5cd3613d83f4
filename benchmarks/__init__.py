"""Speed and size benchmarks. They print ratios against references measured in the same run."""
