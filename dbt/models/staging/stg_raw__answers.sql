-- One row per wave, group, respondent and raw variable answered: the wide raw files unpivoted.
-- Stratification variables (those in the group's population file) are respondent attributes, not
-- answers, and stay out; so do the columns the ingest adds (var raw_metadata_columns). Not-asked
-- answers (system-missing, NULL) are not rows.
{%- set groups = var('respondent_groups') %}

with

{% for group in groups %}
    unpivoted_{{ group }} as (

        select
            wave,
            '{{ group }}' as respondent_group,
            respondent_id,
            raw_variable,
            raw_code
        from (
            unpivot {{ source('raw', group) }}
            on columns(* exclude ({{ var('raw_metadata_columns') | join(', ') }}))
            into name raw_variable value raw_code
        )

    ),
{% endfor %}

stratification_variables as (

    select distinct
        wave,
        respondent_group,
        variable as raw_variable
    from {{ source('raw', 'population') }}

),

unioned as (

    {% for group in groups %}
        select * from unpivoted_{{ group }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

final as (

    select unioned.*
    from unioned
    anti join stratification_variables
        on
            unioned.wave = stratification_variables.wave
            and unioned.respondent_group = stratification_variables.respondent_group
            and unioned.raw_variable = stratification_variables.raw_variable

)

select * from final
