"""Checks that inspect a dataset's archive and produce check results."""
