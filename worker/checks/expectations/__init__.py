"""Great-expectations runner for rule suites: column resolution, batching, merging, messages."""

from worker.checks.expectations.runner import DeadlineExceeded, RunnerOptions, group_by_members, run_group

__all__ = ["DeadlineExceeded", "RunnerOptions", "group_by_members", "run_group"]
