{#- Linearised standard error of a weighted share, respondents independent and weights fixed, as R's
    svymean(~I(y == code), svydesign(ids = ~1, weights = ~w)): sqrt(n/(n-1) * sum(w^2 (y - p)^2)) / sum(w),
    with sum(w^2 (y - p)^2) split over the chosen (y = 1) and the other (y = 0) respondents. -#}
{% macro share_standard_error(share, base_n, weight_total, weight_squares, weight_squares_chosen) -%}
    case
        when {{ base_n }} > 1
            then sqrt(
                {{ base_n }} / ({{ base_n }} - 1)
                * (
                    power(1 - {{ share }}, 2) * {{ weight_squares_chosen }}
                    + power({{ share }}, 2) * ({{ weight_squares }} - {{ weight_squares_chosen }})
                )
            ) / {{ weight_total }}
    end
{%- endmacro %}
