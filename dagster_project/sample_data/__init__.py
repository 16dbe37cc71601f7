"""Synthetic sample waves, calibrated to the published 2019 report."""
