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
    {%- if table_exists(memo) -%}
        {%- set stored -%}
            select kept_values from {{ memo }} where invocation_id = '{{ invocation_id }}'
        {%- endset -%}
        {%- set rows = run_query(stored).columns[0].values() -%}
        {%- if rows | length > 0 -%}
            {%- do return(rows[0].split(',') if rows[0] else []) -%}
        {%- endif -%}
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
