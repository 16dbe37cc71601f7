{#- A sum of doubles that gives the same bits whatever order DuckDB's threads add the rows in.
    A parallel sum of doubles depends on how rows were split over threads (1e-15 apart from run to
    run), so the same inputs would publish different figures and the errata log would see noise.
    Decimal sums are exact integer arithmetic: order cannot change them. 18 decimals keep every bit a
    weight of order 1 has. -#}
{% macro exact_sum(expression) -%}
    sum(({{ expression }})::decimal(38, 18))::double
{%- endmacro %}
