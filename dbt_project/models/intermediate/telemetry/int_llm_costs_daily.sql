{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='call_date',
    on_schema_change='append_new_columns',
    pre_hook="{{ delete_llm_cost_days(ref('int_llm_calls_priced')) }}"
) }}
-- Estimated LLM cost per day, provider and cost object: the run a call belongs to
-- (factory.run.id), else its session. The driver of the AI invoice allocation.
-- Incremental (macros/incremental/llm_pricing_incremental.sql): whole days are recomputed, those
-- whose calls' checksum (xor of one hash per call: key, lineage, prices) differs from the one
-- stored; a pre-hook deletes them first, so a cost object that lost its calls disappears.
with

llm_calls as (

    select * from {{ ref('int_llm_calls_priced') }}
    where {{ llm_cost_days_filter(ref('int_llm_calls_priced')) }}

),

costs as (

    select
        call_date,
        coalesce(provider_name, 'unknown') as provider_name,
        case when run_id is not null then 'run' else 'session' end as cost_object_type,
        coalesce(run_id, session_id, trace_id) as cost_object_id,
        max(customer_id) as customer_id,
        max(project_id) as project_id,
        count(*) as llm_calls,
        sum(case when is_priced then 0 else 1 end) as unpriced_llm_calls,
        cast(sum(coalesce(ai_cost_usd, 0)) as {{ money_type() }}) as estimated_cost_usd,
        -- the incremental runs' bookkeeping: xor-ed per day, compared with the priced calls'
        bit_xor({{ llm_call_checksum() }}) as _calls_checksum

    from llm_calls
    group by
        call_date,
        coalesce(provider_name, 'unknown'),
        case when run_id is not null then 'run' else 'session' end,
        coalesce(run_id, session_id, trace_id)

)

-- stored in day order (dbt_project/README.md: a refresh touches the newest row groups)
select * from costs
order by call_date
