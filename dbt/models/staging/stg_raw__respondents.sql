-- One row per wave, group and respondent, with the provenance of the file it came from.
{%- set groups = var('respondent_groups') %}

with

unioned as (

    {% for group in groups %}
        select
            wave,
            '{{ group }}' as respondent_group,
            respondent_id,
            source_file,
            source_sha256,
            loaded_at
        from {{ source('raw', group) }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

final as (

    select * from unioned

)

select * from final
