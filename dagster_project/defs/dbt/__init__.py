"""dbt: staging, intermediate and mart models as Dagster assets, dbt tests as asset checks."""
