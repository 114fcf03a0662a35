{#-
    A lookup an incremental model makes before it writes (the new raw files, the days to
    recompute), run once per dbt invocation. The model's compilation and its pre-hooks render
    the same lookup, one after the other, before anything is written; each ran the query again
    (0.1-0.4 s each on the default benchmark scale). The first caller keeps the values in
    `intermediate.<model>__<name>`, stamped with the invocation; the others read them.
    `query` returns one column of strings without commas or nulls.
-#}
{% macro lookup_once(name, query) -%}
    {%- set memo = intermediate_relation(this.identifier ~ '__' ~ name) -%}
    {%- set kept = value_of_this_invocation(memo, 'kept_values') -%}
    {%- if kept is not none -%}
        {%- do return(kept.split(',') if kept else []) -%}
    {%- endif -%}
    {%- set looked_up = run_query(query).columns[0].values() | list -%}
    {%- call statement('lookup_once_' ~ name) -%}
        create or replace table {{ memo }} as
        select
            '{{ invocation_id }}' as invocation_id,
            '{{ looked_up | join(',') }}' as kept_values
    {%- endcall -%}
    {%- do return(looked_up) -%}
{%- endmacro %}

{#- `column` of a row of `relation` stamped with this dbt invocation, or none: no such table
    (the first run), or only rows of another invocation (a run that failed between). -#}
{% macro value_of_this_invocation(relation, column) -%}
    {%- if not table_exists(relation) -%}
        {%- do return(none) -%}
    {%- endif -%}
    {%- set query -%}
        select {{ column }} from {{ relation }}
        where invocation_id = '{{ invocation_id }}'
        limit 1
    {%- endset -%}
    {%- set values = run_query(query).columns[0].values() -%}
    {%- do return(values[0] if values | length > 0 else none) -%}
{%- endmacro %}
