"""Jobs over the whole warehouse: what `make run` executes after loading the waves."""

import dagster as dg

weights_job = dg.define_asset_job(
    "build_weights",
    selection=dg.AssetSelection.groups("weights"),
    description="Rake every wave and group in schema raw; replace schema weights.",
)

models_job = dg.define_asset_job(
    "build_models",
    selection=dg.AssetSelection.groups("codebook", "staging", "intermediate", "marts"),
    description="dbt build: codebook seeds, staging, intermediate and mart models with their tests.",
)

stats_job = dg.define_asset_job(
    "build_statistics",
    selection=dg.AssetSelection.groups("stats"),
    description="Significance tests between waves and between kindcentra and the rest.",
)
