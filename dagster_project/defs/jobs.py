"""Jobs over the whole warehouse, one per stage of `lib/stages.py`: what `make run` executes after loading."""

import dagster as dg

from dagster_project.lib.stages import STAGES


@dg.definitions
def stage_jobs() -> dg.Definitions:
    """One asset job per stage, selecting the asset groups of that stage's folder."""
    return dg.Definitions(
        jobs=[
            dg.define_asset_job(
                stage.job_name, selection=dg.AssetSelection.groups(*stage.groups), description=stage.description
            )
            for stage in STAGES
        ]
    )
