"""Ingest: a wave's raw files into schema `raw`, one partition per wave."""
