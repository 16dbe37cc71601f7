"""The publication contract: what a publication holds and how it is read, shared by the pipeline and the viewer.

The pipeline (`dagster_project`) writes publications and the viewer (`streamlit_app`) reads them; both
import this package and never each other (the import contracts in `.importlinter` are checked by
`make lint`). It holds what both must agree on: where the copies are (`locations`), the constants the
figures are made with (`settings`, read from dbt/dbt_project.yml), the published tables and the
publication log (`schema`), the small-base policy (`base_policy`), the Dutch texts (`texts`), every
statement that reads a serving copy (`queries`) and the documents written from one (`workbook`).
No Dagster and no Streamlit here.
"""
