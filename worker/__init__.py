"""Automated quality gate for Gerra dataset deliveries."""

__version__ = "0.1.0"
