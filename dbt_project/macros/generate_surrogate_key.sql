{#-
    A deterministic md5 key over several columns (like dbt_utils.generate_surrogate_key, which
    cannot be installed here): nulls and empty strings are told apart, and the separator keeps
    ('a', 'bc') and ('ab', 'c') apart.
-#}
{% macro generate_surrogate_key(field_list) -%}
    md5(concat_ws(
        '-',
        {%- for field in field_list %}
        coalesce(cast({{ field }} as varchar), '_dbt_null_'){{ "," if not loop.last }}
        {%- endfor %}
    ))
{%- endmacro %}
