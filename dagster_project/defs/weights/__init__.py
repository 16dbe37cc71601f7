"""Weights: raking each wave and group to its population margins."""
