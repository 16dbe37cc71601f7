{#- A key of several columns is unique: no two rows share the same combination, nulls included
    (grouping treats nulls as equal). Testing a concatenated string instead would skip every row
    with a null part, since the string is then null. -#}
{% test unique_combination(model, combination_of_columns) %}

select
    {{ combination_of_columns | join(', ') }},
    count(*) as rows_with_this_key
from {{ model }}
group by {{ combination_of_columns | join(', ') }}
having count(*) > 1

{% endtest %}
