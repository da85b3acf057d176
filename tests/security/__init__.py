"""Regression tests of issue #11 (hardening), one file per part."""
