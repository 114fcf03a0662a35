{#-
    A select statement keeping one row per `partition_by` of `relation` (a ref or a CTE name):
    the first in `order_by`. DuckDB (and Snowflake, BigQuery, Databricks) filter with QUALIFY;
    the default filters a numbered subquery and keeps the numbering column `_row_number`.
-#}
{% macro deduplicate(relation, partition_by, order_by) -%}
    {{ adapter.dispatch('deduplicate', 'factory_warehouse')(relation, partition_by, order_by) }}
{%- endmacro %}

{% macro default__deduplicate(relation, partition_by, order_by) -%}
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

{% macro duckdb__deduplicate(relation, partition_by, order_by) -%}
    select *
    from {{ relation }}
    qualify row_number() over (
        partition by {{ partition_by }}
        order by {{ order_by }}
    ) = 1
{%- endmacro %}
