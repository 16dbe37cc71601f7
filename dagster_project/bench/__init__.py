"""`make bench`: the benchmark (`measure`), the plain-SQL floor (`floor`) and R as a baseline (`r_baseline`, `r/`).

Nothing in production imports this package (the layers in `.importlinter`).
"""
