"""Dagster code location of the Samenwerking in beeld warehouse."""
