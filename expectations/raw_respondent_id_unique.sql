-- One row per respondent row of every answer file as loaded.
select wave, 'basisscholen' as respondent_group, respondent_id from raw.basisscholen
union all
select wave, 'kov_organisaties', respondent_id from raw.kov_organisaties
union all
select wave, 'schoolbesturen', respondent_id from raw.schoolbesturen
union all
select wave, 'kov_besturen', respondent_id from raw.kov_besturen
