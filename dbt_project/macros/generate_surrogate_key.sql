{#-
    A deterministic md5 key over several columns (like dbt_utils.generate_surrogate_key, which
    cannot be installed here): nulls and empty strings are told apart, and the separator keeps
    ('a', 'bc') and ('ab', 'c') apart. dbt's cross-database hash, concat and string type.
-#}
{% macro generate_surrogate_key(field_list) -%}
    {%- set parts = [] -%}
    {%- for field in field_list -%}
        {%- do parts.append("coalesce(cast(" ~ field ~ " as " ~ dbt.type_string() ~ "), '_dbt_null_')") -%}
        {%- if not loop.last %}{% do parts.append("'-'") %}{% endif -%}
    {%- endfor -%}
    {{ dbt.hash(dbt.concat(parts)) }}
{%- endmacro %}
