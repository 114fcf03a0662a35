{#-
    A select statement keeping one row per `partition_by` of `relation` (a ref or a CTE name):
    the first in `order_by`. DuckDB (and Snowflake, BigQuery, Databricks) filter with QUALIFY;
    the default filters a numbered subquery and keeps the numbering column `_row_number`.

    `repeats_are_rare`: nearly every key occurs once (re-exported telemetry). On DuckDB only the
    rows of repeated keys then go through the window, found by a first pass over 64-bit hashes
    of the key: a window sorts every column of its input and spilled tens of GB over 13 M wide
    span rows. A hash collision only sends a few more rows through the window.
-#}
{% macro deduplicate(relation, partition_by, order_by, repeats_are_rare=false) -%}
    {{ adapter.dispatch('deduplicate', 'factory_warehouse')(
        relation, partition_by, order_by, repeats_are_rare
    ) }}
{%- endmacro %}

{% macro default__deduplicate(relation, partition_by, order_by, repeats_are_rare) -%}
    select numbered.*
    from (
        select
            {{ relation }}.*,
            row_number() over (
                partition by {{ partition_by }}
                order by {{ order_by }}
            ) as _row_number
        from {{ relation }}
    ) as numbered
    where numbered._row_number = 1
{%- endmacro %}

{% macro duckdb__deduplicate(relation, partition_by, order_by, repeats_are_rare) -%}
    {%- if repeats_are_rare %}
        with repeated_key_hashes as materialized (

            select hash({{ partition_by }}) as key_hash
            from {{ relation }}
            group by key_hash
            having count(*) > 1

        )

        select * from {{ relation }}
        where hash({{ partition_by }}) not in (select key_hash from repeated_key_hashes)

        union all

        select * from {{ relation }}
        where hash({{ partition_by }}) in (select key_hash from repeated_key_hashes)
        qualify row_number() over (
            partition by {{ partition_by }}
            order by {{ order_by }}
        ) = 1
    {%- else %}
        select *
        from {{ relation }}
        qualify row_number() over (
            partition by {{ partition_by }}
            order by {{ order_by }}
        ) = 1
    {%- endif %}
{%- endmacro %}
