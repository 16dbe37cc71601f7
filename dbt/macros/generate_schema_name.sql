{#- Schemas are named as configured (staging, marts, ...), not prefixed with the target schema:
    analysts query marts.agg_answer_share, whatever target built it. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
