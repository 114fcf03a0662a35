{#-
    Use a model's custom schema verbatim (`staging`, `intermediate`, `marts`, `seeds`) instead of
    dbt's default `<target schema>_<custom schema>`: there is one warehouse file per environment,
    so the target needs no prefix to keep environments apart.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
