{#-
    Date and time parts without a dbt cross-database macro.
      iso_day_of_week(ts)   1 = Monday ... 7 = Sunday
      hour_of_day(ts)       0 ... 23
      epoch_us_to_timestamp(us)  a timestamp from microseconds since 1970-01-01 (UTC)
-#}
{% macro iso_day_of_week(timestamp) -%}
    {{ adapter.dispatch('iso_day_of_week', 'factory_warehouse')(timestamp) }}
{%- endmacro %}

{% macro default__iso_day_of_week(timestamp) -%}
    cast(extract(isodow from {{ timestamp }}) as {{ dbt.type_int() }})
{%- endmacro %}

{% macro duckdb__iso_day_of_week(timestamp) -%}
    cast(isodow({{ timestamp }}) as {{ dbt.type_int() }})
{%- endmacro %}

{% macro hour_of_day(timestamp) -%}
    {{ adapter.dispatch('hour_of_day', 'factory_warehouse')(timestamp) }}
{%- endmacro %}

{% macro default__hour_of_day(timestamp) -%}
    cast(extract(hour from {{ timestamp }}) as {{ dbt.type_int() }})
{%- endmacro %}

{% macro epoch_us_to_timestamp(microseconds) -%}
    {{ adapter.dispatch('epoch_us_to_timestamp', 'factory_warehouse')(microseconds) }}
{%- endmacro %}

{% macro default__epoch_us_to_timestamp(microseconds) -%}
    {{ dbt.dateadd('microsecond', microseconds, "cast('1970-01-01' as " ~ dbt.type_timestamp() ~ ")") }}
{%- endmacro %}

{% macro duckdb__epoch_us_to_timestamp(microseconds) -%}
    make_timestamp({{ microseconds }})
{%- endmacro %}
