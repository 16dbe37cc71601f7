"""Reusable code shared by the assets, the sample generator and the tests."""
