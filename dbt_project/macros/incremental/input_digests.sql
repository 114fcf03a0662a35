{#-
    Day-by-day incremental models whose inputs can change on any day, in place (a run snapshot
    updated days later, a repriced call, a late bill), and whose inputs carry no reliable
    lineage (they may be tables rebuilt whole or incremental models of their own).

    The model keeps, beside itself (`intermediate.<model>__input_digests`, written by its
    post-hook `store_input_digests`), a digest of each input per day: its row count and the
    sum of a hash of every row. A refresh recomputes exactly the days whose digest differs
    from the one stored when the model last consumed its inputs (`changed_input_days`), plus
    the run's partition window when it has one; the pre-hook `delete_changed_input_days`
    deletes those days first, so a day that lost every row is emptied too. A day's output
    depends only on the inputs' rows of that day, so a day whose inputs are unchanged is the
    full build's already, and a recomputed day is computed as in the full build.

    `inputs` (daily_inputs): a list of {name, relation, date_column}; `relation` a ref or a
    parenthesised select. An input without date_column (a seed) and `settings` (the model's
    code and the vars it reads) are digested whole: when they change, every day is recomputed.
    Missing digests (the first refresh after a full build of an older version) also mean every
    day. Digests read the inputs whole, but only hash them: far cheaper than the allocation.
    An input that is itself a model incremental by input days is digested by the digests it
    stored (`upstream_digests`, below).

    A refresh reads the model's inputs for its digests once: the first caller of the run (the
    model's compilation) keeps them in `<model>__input_digests_pending`, stamped with the dbt
    invocation; the pre-hook compares the same rows and the post-hook stores them. A pending
    table of another invocation (a run that failed between) is computed again, never reused.
-#}
{#- The stored digests of the model (or of the model named `identifier`); with suffix
    '_pending', this run's before they are stored. -#}
{% macro input_digests_relation(suffix='', identifier=none) -%}
    {%- do return(intermediate_relation((identifier or this.identifier) ~ '__input_digests' ~ suffix)) -%}
{%- endmacro %}

{% macro input_digests_sql(inputs) -%}
    {%- for input in inputs.inputs %}
    {%- set upstream = upstream_digests_of(input) %}
    {%- if upstream is not none %}
    {{ upstream_input_digests_sql(input, upstream) }}
    {%- else %}
    select
        '{{ input.name }}' as input_name,
        {%- if input.date_column %}
        {{ input_day(input) }} as day,
        {%- else %}
        cast(null as date) as day,
        {%- endif %}
        count(*) as input_rows,
        sum(cast(hash(digested) as hugeint)) as digest
    from {{ input.relation }} as digested
    group by 1, 2
    {%- endif %}
    union all
    {%- endfor %}
    select
        '__settings__' as input_name,
        cast(null as date) as day,
        1 as input_rows,
        cast(hash('{{ inputs.settings }}') as hugeint) as digest
{%- endmacro %}

{#- An input marked `upstream_digests` in daily_inputs is a ref of a model incremental by
    input days, read on that model's own date column. Its rows on a day are a function of its
    inputs on that day (and of those it digests whole, and its settings), so the digests it
    stored when it last wrote stand for them: a few hundred rows to hash instead of its whole
    table (12 M allocation rows at the default benchmark scale, 0.7-0.85 s each). They do not
    see a change made to its table outside dbt. Without its digests (a warehouse from before
    them), the rows are hashed. -#}
{% macro upstream_digests_of(input) -%}
    {%- if not (execute and input.get('upstream_digests')) -%}
        {%- do return(none) -%}
    {%- endif -%}
    {%- set upstream = input_digests_relation(identifier=input.relation.identifier) -%}
    {%- do return(upstream if table_exists(upstream) else none) -%}
{%- endmacro %}

{#- An input's digest per day from its upstream's stored digests: that day's, with the ones of
    the inputs it digests whole and of its settings (no day) on every day. -#}
{% macro upstream_input_digests_sql(input, upstream) -%}
    select
        '{{ input.name }}' as input_name,
        upstream.day,
        count(*) as input_rows,
        sum(cast(hash(upstream.input_name, upstream.input_rows, upstream.digest) as hugeint))
        + (
            select coalesce(sum(cast(hash(whole.input_name, whole.input_rows, whole.digest) as hugeint)), 0)
            from {{ upstream }} as whole
            where whole.day is null
        ) as digest
    from {{ upstream }} as upstream
    where upstream.day is not null
    group by upstream.day
{%- endmacro %}

{#- The days to recompute (ISO strings), or none: every day. -#}
{% macro changed_input_days(inputs) -%}
    {%- if not is_incremental() -%}
        {%- do return(none) -%}
    {%- endif -%}
    {%- if not execute -%}
        {%- do return([]) -%}
    {%- endif -%}
    {%- set stored = input_digests_relation() -%}
    {%- if adapter.get_relation(stored.database, stored.schema, stored.identifier) is none -%}
        {%- do return(none) -%}
    {%- endif -%}
    {%- set current = current_input_digests(inputs) -%}
    {%- set query -%}
        with current_digests as (
            select input_name, day, input_rows, digest from {{ current }}
        )
        select distinct
            cast(coalesce(current_digests.day, stored.day) as varchar) as day
        from current_digests
        full outer join {{ stored }} as stored
            on
                current_digests.input_name = stored.input_name
                and current_digests.day is not distinct from stored.day
        where
            current_digests.digest is distinct from stored.digest
            or current_digests.input_rows is distinct from stored.input_rows
        order by day nulls first
    {%- endset -%}
    {%- set days = run_query(query).columns[0].values() -%}
    {%- if days | length > 0 and days[0] is none -%}
        {%- do return(none) -%}
    {%- endif -%}
    {%- do return(days | list) -%}
{%- endmacro %}

{#- A predicate on `date_column`: the changed days and the partition window (none: all). With
    `before`/`after`, each of those days spreads to the days from `before` days before it to
    `after` days after it: for a model whose day depends on a window of input days. -#}
{% macro input_days_filter(date_column, days, before=0, after=0) -%}
    {%- if days is none -%}
        1 = 1
    {%- elif before == 0 and after == 0 -%}
        (
            {%- if days | length > 0 %}
            {{ date_column }} in (
                {%- for day in days %}
                cast('{{ day }}' as date){{ ',' if not loop.last }}
                {%- endfor %}
            )
            {%- else %}
            1 = 0
            {%- endif %}
            {%- if partition_window() %}
            or ({{ partition_window_predicate(date_column) }})
            {%- endif %}
        )
    {%- else -%}
        (
            {%- for range_start, range_end in day_ranges(days_and_window(days), before, after) %}
            {{ date_column }} between cast('{{ range_start }}' as date)
                and cast('{{ range_end }}' as date){{ ' or' if not loop.last }}
            {%- else %}
            1 = 0
            {%- endfor %}
        )
    {%- endif -%}
{%- endmacro %}

{#- `days` (ISO strings) and the partition window's days (end exclusive), if the run has one. -#}
{% macro days_and_window(days) -%}
    {%- set all_days = days | list -%}
    {%- set window = partition_window() -%}
    {%- if window -%}
        {%- set start = modules.datetime.date.fromisoformat(window.start) -%}
        {%- set end = modules.datetime.date.fromisoformat(window.end) -%}
        {%- for offset in range((end - start).days) -%}
            {%- do all_days.append((start + modules.datetime.timedelta(days=offset)).isoformat()) -%}
        {%- endfor -%}
    {%- endif -%}
    {%- do return(all_days) -%}
{%- endmacro %}

{#- [start, end] date pairs covering each of `days` (ISO strings) from `before` days before
    it to `after` days after it, overlapping and adjacent ranges merged. -#}
{% macro day_ranges(days, before, after) -%}
    {%- set ranges = [] -%}
    {%- for day in days | map('string') | unique | sort -%}
        {%- set parsed = modules.datetime.date.fromisoformat(day) -%}
        {%- set start = parsed - modules.datetime.timedelta(days=before) -%}
        {%- set end = parsed + modules.datetime.timedelta(days=after) -%}
        {%- if ranges and start <= ranges[-1][1] + modules.datetime.timedelta(days=1) -%}
            {%- set last = ranges.pop() -%}
            {%- do ranges.append([last[0], [last[1], end] | max]) -%}
        {%- else -%}
            {%- do ranges.append([start, end]) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- do return(ranges) -%}
{%- endmacro %}

{#- Pre-hook: the days to recompute, recorded for the tests (rewritten_rows.sql; none when
    every day is), then deleted. -#}
{% macro delete_changed_input_days(date_column, inputs, after=0) -%}
    {%- set days = changed_input_days(inputs) -%}
    {%- set changed = input_days_filter(date_column, days, after=after) -%}
    {{ record_rewritten_rows(none if days is none else changed) }}
    {%- if is_incremental() %};
        delete from {{ this }}
        where {{ changed }}
    {%- endif -%}
{%- endmacro %}

{#- For a model that adds rows by key (not by day): every row again when an input digested
    whole (a seed) or its code changed; else nothing (the model adds its new keys itself). -#}
{% macro delete_all_if_inputs_changed(inputs) -%}
    {%- if is_incremental() and changed_input_days(inputs) is none -%}
        delete from {{ this }}
    {%- endif -%}
{%- endmacro %}

{#- Whether the table exists now: dbt's relation cache is filled when the run starts and does
    not see the tables a macro creates. -#}
{% macro table_exists(relation) -%}
    {%- set query -%}
        select count(*) from information_schema.tables
        where
            table_catalog = '{{ relation.database }}'
            and table_schema = '{{ relation.schema }}'
            and table_name = '{{ relation.identifier }}'
    {%- endset -%}
    {%- do return(run_query(query).columns[0].values()[0] > 0) -%}
{%- endmacro %}

{#- This run's digests of the inputs, in a table: computed by the first caller of the run. -#}
{% macro current_input_digests(inputs) -%}
    {%- set pending = input_digests_relation('_pending') -%}
    {%- if value_of_this_invocation(pending, 'invocation_id') is not none -%}
        {%- do return(pending) -%}
    {%- endif -%}
    {%- call statement('pending_input_digests') -%}
        create or replace table {{ pending }} as
        select '{{ invocation_id }}' as invocation_id, digests.*
        from ({{ input_digests_sql(inputs) }}) as digests
    {%- endcall -%}
    {%- do return(pending) -%}
{%- endmacro %}

{#- Post-hook: this run's digests kept; a refresh's are the pending ones (current_input_digests
    computes them if the run did not). A full build reads them directly. -#}
{% macro store_input_digests(inputs) -%}
    {%- set pending = input_digests_relation('_pending') -%}
    {%- if is_incremental() -%}
        create or replace table {{ input_digests_relation() }} as
        select input_name, day, input_rows, digest
        from {{ current_input_digests(inputs) }};
        drop table {{ pending }}
    {%- else -%}
        create or replace table {{ input_digests_relation() }} as
        {{ input_digests_sql(inputs) }};
        drop table if exists {{ pending }}
    {%- endif -%}
{%- endmacro %}

{#- The config of a model incremental by day on its input digests, the same for each:
    `{{ config(**incremental_by_input_days('cost_date')) }}`; with `after`, a changed input day
    recomputes the `after` days that follow it too (a rolling window). -#}
{% macro incremental_by_input_days(date_column, after=0) -%}
    {%- do return({
        'materialized': 'incremental',
        'incremental_strategy': 'delete+insert',
        'unique_key': date_column,
        'on_schema_change': 'append_new_columns',
        'pre_hook': "{{ delete_changed_input_days('" ~ date_column ~ "', daily_inputs(this.identifier), after=" ~ after ~ ") }}",
        'post_hook': "{{ store_input_digests(daily_inputs(this.identifier)) }}"
    }) -%}
{%- endmacro %}
