"""Dagster definitions, one folder per concern."""
