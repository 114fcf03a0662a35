{#- Fails compilation when a var that picks a method has a value outside its choices. -#}
{% macro check_var_choice(name, value, choices) -%}
    {%- if value not in choices -%}
        {{ exceptions.raise_compiler_error(
            "var " ~ name ~ " must be one of " ~ (choices | join(', ')) ~ ", not " ~ value
        ) }}
    {%- endif -%}
{%- endmacro %}
