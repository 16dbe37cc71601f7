"""Waves as dynamic partitions: a new folder under `waves/` becomes a partition, no code changes."""

import dagster as dg

waves = dg.DynamicPartitionsDefinition(name="wave")
