{{ config(**incremental_by_input_days('usage_date')) }}
-- One row per customer per day with any activity: runs, LLM calls and their estimated cost,
-- agent activity metrics and the cost of infrastructure dedicated to the customer.
-- Incremental by day: a refresh recomputes the days whose runs, LLM calls, metric points or
-- dedicated costs changed (input_digests.sql).
{%- set days = changed_input_days(daily_inputs('customer_daily_usage')) %}
with

run_attempts as (

    select * from {{ ref('int_run_attempts_deduplicated') }}

),

llm_calls as (

    select * from {{ ref('int_llm_calls_priced') }}
    where {{ input_days_filter('call_date', days) }}

),

metric_deltas as (

    select * from {{ ref('int_metric_points_deltas') }}
    where {{ input_days_filter('point_date', days) }}

),

focus_costs as (

    select * from {{ ref('int_focus_costs_deduplicated') }}
    where {{ input_days_filter('charge_date', days) }}

),

runs_started as (

    select
        customer_id,
        cast(started_at as date) as usage_date,
        count(distinct run_id) as runs_started,
        count(*) as run_attempts_started

    from run_attempts
    where started_at is not null and {{ input_days_filter('cast(started_at as date)', days) }}
    group by customer_id, cast(started_at as date)

),

runs_succeeded as (

    select
        customer_id,
        cast(finished_at as date) as usage_date,
        count(distinct run_id) as runs_succeeded

    from run_attempts
    where run_status = 'succeeded' and {{ input_days_filter('cast(finished_at as date)', days) }}
    group by customer_id, cast(finished_at as date)

),

llm_usage as (

    select
        customer_id,
        call_date as usage_date,
        count(*) as llm_calls,
        sum(case when is_priced then 0 else 1 end) as unpriced_llm_calls,
        sum(total_input_tokens) as input_tokens,
        sum(uncached_input_tokens) as uncached_input_tokens,
        sum(cache_read_tokens) as cache_read_tokens,
        sum(cache_write_tokens) as cache_write_tokens,
        sum(billable_output_tokens) as output_tokens,
        sum(total_tokens) as total_tokens,
        sum(ai_cost_usd) as ai_cost_usd

    from llm_calls
    group by customer_id, call_date

),

agent_activity as (

    select
        customer_id,
        point_date as usage_date,
        sum(
            case when metric_name = 'droid.code.lines_modified' then delta_value end
        ) as code_lines_modified,
        sum(case when metric_name = 'droid.git.commits' then delta_value end) as git_commits,
        sum(
            case when metric_name = 'droid.git.pull_requests' then delta_value end
        ) as pull_requests,
        sum(
            case when metric_name = 'droid.tool.invocations' then delta_value end
        ) as tool_invocations

    from metric_deltas
    where
        metric_name in (
            'droid.code.lines_modified',
            'droid.git.commits',
            'droid.git.pull_requests',
            'droid.tool.invocations'
        )
    group by customer_id, point_date

),

dedicated_infra_costs as (

    -- effective (amortised) cost, the FOCUS measure meant for allocation; provider invoices for
    -- LLM calls are left out: AI cost is estimated per call above
    select
        tag_customer_id as customer_id,
        charge_date as usage_date,
        sum(effective_cost_usd) as dedicated_infra_cost_usd

    from focus_costs
    where tag_customer_id is not null and not is_ai_service
    group by tag_customer_id, charge_date

),

customer_days as (

    select
        customer_id,
        usage_date
    from runs_started
    union
    select
        customer_id,
        usage_date
    from runs_succeeded
    union
    select
        customer_id,
        usage_date
    from llm_usage
    union
    select
        customer_id,
        usage_date
    from agent_activity
    union
    select
        customer_id,
        usage_date
    from dedicated_infra_costs

),

final as (

    select
        customer_days.customer_id,
        customer_days.usage_date,
        cast(coalesce(runs_started.runs_started, 0) as bigint) as runs_started,
        cast(
            coalesce(runs_started.run_attempts_started, 0) as bigint
        ) as run_attempts_started,
        cast(coalesce(runs_succeeded.runs_succeeded, 0) as bigint) as runs_succeeded,
        cast(coalesce(llm_usage.llm_calls, 0) as bigint) as llm_calls,
        cast(coalesce(llm_usage.unpriced_llm_calls, 0) as bigint) as unpriced_llm_calls,
        cast(coalesce(llm_usage.input_tokens, 0) as bigint) as input_tokens,
        cast(
            coalesce(llm_usage.uncached_input_tokens, 0) as bigint
        ) as uncached_input_tokens,
        cast(coalesce(llm_usage.cache_read_tokens, 0) as bigint) as cache_read_tokens,
        cast(coalesce(llm_usage.cache_write_tokens, 0) as bigint) as cache_write_tokens,
        cast(coalesce(llm_usage.output_tokens, 0) as bigint) as output_tokens,
        cast(coalesce(llm_usage.total_tokens, 0) as bigint) as total_tokens,
        cast(coalesce(agent_activity.code_lines_modified, 0) as bigint) as code_lines_modified,
        cast(coalesce(agent_activity.git_commits, 0) as bigint) as git_commits,
        cast(coalesce(agent_activity.pull_requests, 0) as bigint) as pull_requests,
        cast(coalesce(agent_activity.tool_invocations, 0) as bigint) as tool_invocations,
        cast(coalesce(llm_usage.ai_cost_usd, 0) as decimal(38, 12)) as ai_cost_usd,
        cast(
            coalesce(dedicated_infra_costs.dedicated_infra_cost_usd, 0) as decimal(38, 12)
        ) as dedicated_infra_cost_usd

    from customer_days
    left join runs_started
        on
            customer_days.customer_id = runs_started.customer_id
            and customer_days.usage_date = runs_started.usage_date
    left join runs_succeeded
        on
            customer_days.customer_id = runs_succeeded.customer_id
            and customer_days.usage_date = runs_succeeded.usage_date
    left join llm_usage
        on
            customer_days.customer_id = llm_usage.customer_id
            and customer_days.usage_date = llm_usage.usage_date
    left join agent_activity
        on
            customer_days.customer_id = agent_activity.customer_id
            and customer_days.usage_date = agent_activity.usage_date
    left join dedicated_infra_costs
        on
            customer_days.customer_id = dedicated_infra_costs.customer_id
            and customer_days.usage_date = dedicated_infra_costs.usage_date

)

-- stored in day order (dbt_project/README.md: a refresh touches the newest row groups)
select * from final
order by usage_date
