"""Headway: customer-journey and email-engagement analytics."""

__version__ = "0.1.0"
