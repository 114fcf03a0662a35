{#-
    Incremental by key on input digests (input_digests.sql): for a model whose rows of a key (a
    session, a run) gather its inputs' rows of several days, so a changed day cannot be
    recomputed on its own. A refresh recomputes every key that has a row on a changed day
    (changed_input_days, plus the partition window) in one of its inputs now, or whose stored
    rows span such a day (`first_day` to `last_day`, columns of the model; a null last day:
    open-ended): the second catches a key that lost its rows on that day, provided a key's
    stored span covers the days of all its input rows. A key's output depends only on its own
    input rows, so every other key is the full build's already, and a recomputed key is
    computed as in the full build.

    The pre-hook (delete_changed_input_keys) keeps the keys to recompute in
    `intermediate.<model>__changed_keys` and deletes their rows; the model reads each input for
    those keys only (keyed_input) and inserts them. Each input of daily_inputs names its
    `key_column`. When every day changed (a new version of the model, missing digests), every
    key is recomputed. The data tests of the model read the recomputed keys (rewritten_rows).
-#}
{% macro changed_keys_relation() -%}
    {%- do return(intermediate_relation(this.identifier ~ '__changed_keys')) -%}
{%- endmacro %}

{#- The config of a model incremental by key, the same for each:
    `{{ config(**incremental_by_input_keys('session_id', 'session_date', 'ended_at')) }}`. -#}
{% macro incremental_by_input_keys(key_column, first_day, last_day) -%}
    {%- do return({
        'materialized': 'incremental',
        'incremental_strategy': 'delete+insert',
        'unique_key': key_column,
        'on_schema_change': 'append_new_columns',
        'pre_hook': "{{ delete_changed_input_keys('" ~ key_column ~ "', '" ~ first_day ~ "', '"
            ~ last_day ~ "', daily_inputs(this.identifier)) }}",
        'post_hook': "{{ store_input_digests(daily_inputs(this.identifier)) }}"
    }) -%}
{%- endmacro %}

{#- Pre-hook: the keys to recompute, kept, recorded for the tests, and deleted. -#}
{% macro delete_changed_input_keys(key_column, first_day, last_day, inputs) -%}
    {%- set days = changed_input_days(inputs) -%}
    {%- if not is_incremental() or days is none -%}
        {{ record_rewritten_rows(none) }}
        {%- if is_incremental() %};
        delete from {{ this }}
        {%- endif -%}
    {%- else -%}
        {%- set keys = changed_keys_relation() -%}
        create or replace table {{ keys }} as
        select {{ key_column }} as changed_key
        from {{ this }}
        where
            {%- for range_start, range_end in day_ranges(days_and_window(days), 0, 0) %}
            (
                cast({{ first_day }} as date) <= cast('{{ range_end }}' as date)
                and coalesce(cast({{ last_day }} as date) >= cast('{{ range_start }}' as date), true)
            ){{ ' or' if not loop.last }}
            {%- else %}
            1 = 0
            {%- endfor %}
        {%- for input in inputs.inputs %}
        union
        select {{ input.key_column }}
        from {{ input.relation }} as {{ input.name }}
        where {{ input_days_filter(input_day(input), days) }}
        {%- endfor %};
        {{ record_rewritten_rows(key_column ~ ' in (select changed_key from ' ~ keys ~ ')') }};
        delete from {{ this }}
        where {{ key_column }} in (select changed_key from {{ keys }})
    {%- endif -%}
{%- endmacro %}

{#- One input of `inputs`, by name, as a model incremental by key reads it: the relation its
    digest hashes, on the keys to recompute (none of `days`: every key). -#}
{% macro keyed_input(inputs, input_name, days) -%}
    {%- for input in inputs.inputs if input.name == input_name -%}
        {#- `execute`: dbt's parse (and the SQL linter) have no relations to name -#}
        {%- if execute and is_incremental() and days is not none -%}
        (
            select * from {{ input.relation }} as {{ input.name }}
            where {{ input.key_column }} in (select changed_key from {{ changed_keys_relation() }})
        )
        {%- else -%}
        {{ input.relation }}
        {%- endif -%}
    {%- else -%}
        {%- do exceptions.raise_compiler_error('keyed_input: no input named ' ~ input_name) -%}
    {%- endfor -%}
{%- endmacro %}
