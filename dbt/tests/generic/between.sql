{#- Every value of the column lies in [min_value, max_value] (nulls are left to not_null). -#}
{% test between(model, column_name, min_value, max_value) %}

select {{ column_name }} as value_out_of_range
from {{ model }}
where {{ column_name }} < {{ min_value }} or {{ column_name }} > {{ max_value }}

{% endtest %}
