{#-
    The incremental runs of int_llm_calls_priced and int_llm_costs_daily.

    int_llm_calls_priced re-prices the spans of int_spans_deduplicated whose winning line comes
    from a raw file it has not seen (a new span, or a re-sent one whose newer copy replaced its
    row upstream), and every call when the model_prices seed differs from the one its rows were
    priced with. A pre-hook first deletes the rows of all these spans: a span that is no longer
    an LLM call in its newer copy loses its row, as in a full build.

    int_llm_costs_daily recomputes whole days: those whose calls differ from the ones it
    aggregated, found by comparing a per-day checksum of the priced calls with the one it stored.

    Both lists are looked up when the model is compiled and inlined as literals; the pre-hook
    renders the same lookups just before it runs, before anything is written, and reads what
    the compilation found (lookup_once.sql), so both agree.
    (Past 200 new files new_raw_files_filter compares with the table when the model runs, after
    the hook: it may then also re-read spans whose rows went with the hook, which delete+insert
    on the key re-prices to the same rows.)
-#}

{#- The seed's content (every column of every row, in a fixed order) as one md5. -#}
{% macro model_prices_fingerprint(prices_relation) -%}
    (
        select
            md5(coalesce(string_agg(
                cast(to_json(prices) as varchar), ','
                order by cast(to_json(prices) as varchar)
            ), ''))
        from {{ prices_relation }} as prices
    )
{%- endmacro %}

{#- True when an incremental run of int_llm_calls_priced must re-price every call: its rows were
    priced with other prices, or were built before they carried lineage and prices. -#}
{% macro llm_calls_reprice_all(prices_relation) -%}
    {%- if not (execute and is_incremental()) -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set columns = adapter.get_columns_in_relation(this) | map(attribute='name') | list -%}
    {%- if '_file_sha256' not in columns or '_prices_fingerprint' not in columns -%}
        {{ return(true) }}
    {%- endif -%}
    {%- set query -%}
        select count(*) from (
            select 1 from {{ this }}
            where _prices_fingerprint is distinct from {{ model_prices_fingerprint(prices_relation) }}
            limit 1
        )
    {%- endset -%}
    {{ return(run_query(query).columns[0].values()[0] > 0) }}
{%- endmacro %}

{#- The spans of `spans_relation` (int_spans_deduplicated) to re-price. -#}
{% macro llm_calls_changed_spans_filter(spans_relation, prices_relation) -%}
    {%- if not is_incremental() or llm_calls_reprice_all(prices_relation) -%}
        1 = 1
    {%- else -%}
        {{ new_raw_files_filter(spans_relation) }}
    {%- endif -%}
{%- endmacro %}

{#- Pre-hook of int_llm_calls_priced: the spans to re-price recorded for its data tests
    (rewritten_rows.sql), then the rows of every one of them go, LLM call or not. -#}
{% macro delete_changed_llm_calls(spans_relation, prices_relation) -%}
    {%- set reprice_all = llm_calls_reprice_all(prices_relation) -%}
    {{ record_rewritten_rows(
        none if reprice_all else keys_in_new_raw_files(['trace_id', 'span_id'], spans_relation)
    ) }}
    {%- if is_incremental() %};
        {%- if reprice_all %}
            delete from {{ this }}
        {%- else %}
            delete from {{ this }} as priced
            using (
                select
                    trace_id,
                    span_id
                from {{ spans_relation }}
                where {{ new_raw_files_filter(spans_relation) }}
            ) as changed
            where
                priced.trace_id = changed.trace_id
                and priced.span_id = changed.span_id
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{#- One priced call as a number: a day's calls xor-ed together change when a call is added,
    removed, replaced by a newer copy (lineage) or re-priced with other prices. One string is
    hashed: DuckDB combines the hashes of several arguments so that, xor-ed over an even number
    of calls, the part of a value shared by all of them (the prices) cancels out. -#}
{% macro llm_call_checksum() -%}
    hash(concat_ws('|', trace_id, span_id, _file_sha256, _line_number, _prices_fingerprint))
{%- endmacro %}

{#- The days int_llm_costs_daily must recompute, as a list of ISO dates ('null' for calls
    without a date), or none for every day (a table from before the checksum). -#}
{% macro llm_cost_days_to_refresh(priced_relation) -%}
    {%- if not (execute and is_incremental()) -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set columns = adapter.get_columns_in_relation(this) | map(attribute='name') | list -%}
    {%- if '_calls_checksum' not in columns -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set query -%}
        with priced_days as (
            select
                call_date,
                bit_xor({{ llm_call_checksum() }}) as checksum
            from {{ priced_relation }}
            group by call_date
        ),
        kept_days as (
            select
                call_date,
                bit_xor(_calls_checksum) as checksum
            from {{ this }}
            group by call_date
        )
        select coalesce(cast(coalesce(priced_days.call_date, kept_days.call_date) as varchar), 'null')
        from priced_days
        full outer join kept_days
            on priced_days.call_date is not distinct from kept_days.call_date
        where priced_days.checksum is distinct from kept_days.checksum
        order by 1
    {%- endset -%}
    {{ return(lookup_once('days_to_refresh', query)) }}
{%- endmacro %}

{#- The rows of the days to recompute, on `date_column`. -#}
{% macro llm_cost_days_filter(priced_relation, date_column='call_date') -%}
    {%- set days = llm_cost_days_to_refresh(priced_relation) -%}
    {%- if not is_incremental() or days is none -%}
        1 = 1
    {%- elif days | length == 0 -%}
        1 = 0
    {%- else -%}
        {%- set dates = days | reject('equalto', 'null') | list -%}
        (
            {%- if dates %}
            {{ date_column }} in (
                {%- for day in dates %}
                cast('{{ day }}' as date){{ ',' if not loop.last }}
                {%- endfor %}
            )
            {%- else %}
            1 = 0
            {%- endif %}
            {%- if 'null' in days %}
            or {{ date_column }} is null
            {%- endif %}
        )
    {%- endif -%}
{%- endmacro %}

{#- Pre-hook of int_llm_costs_daily: the days to recompute, recorded for its data tests
    (rewritten_rows.sql), go whole, so a day or cost object that lost all its calls disappears
    too. -#}
{% macro delete_llm_cost_days(priced_relation, date_column='call_date') -%}
    {%- set days = llm_cost_days_filter(priced_relation, date_column) -%}
    {{ record_rewritten_rows(days) }}
    {%- if is_incremental() %};
        delete from {{ this }}
        where {{ days }}
    {%- endif -%}
{%- endmacro %}
