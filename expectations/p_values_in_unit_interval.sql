-- One row per test that ran (both test marts): its p-value and adjusted p-value.
select wave_to as wave, respondent_group, 'test_wave_change' as test_table, item_id, answer_code, method,
       p_value, p_adjusted
from marts.test_wave_change
where is_tested
union all
select wave, respondent_group, 'test_subgroup', item_id, answer_code, method, p_value, p_adjusted
from marts.test_subgroup
where is_tested
