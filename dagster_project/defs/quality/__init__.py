"""Quality gates: Great Expectations suites from expectations/ as blocking checks."""
