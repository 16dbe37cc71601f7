-- One row per constant the warehouse computes with (the vars of dbt_project.yml), so that readers of
-- the published copies (the viewer, the workbook, analysts) use the very values the figures were made
-- with, without importing the pipeline.

with

settings as (

    select
        constants.setting,
        constants.setting_value,
        constants.description
    from (
        values
        (
            'kindcentrum_item',
            '{{ var("kindcentrum_item") }}',
            'The question whose answer says whether a respondent presents the cooperation as a kindcentrum.'
        ),
        (
            'kindcentrum_code',
            '{{ var("kindcentrum_code") }}',
            'The answer code of "(integraal) kindcentrum" in that question.'
        ),
        (
            'small_base',
            '{{ var("small_base") }}',
            'A share or mean on fewer respondents than this is flagged as a small base (is_small_base).'
        ),
        (
            'min_test_base',
            '{{ var("min_test_base") }}',
            'A significance test needs at least this many respondents on each side; fewer: not tested.'
        ),
        (
            'model_threshold',
            '{{ var("model_threshold") }}',
            'A respondent fits a cooperation model with at least this many of the six answers A-F (bijlage 1).'
        ),
        ('z_95', '{{ var("z_95") }}', 'Normal quantile of the 95% intervals.')
    ) as constants (setting, setting_value, description)

),

final as (

    select
        setting,
        setting_value,
        description
    from settings

)

select * from final
