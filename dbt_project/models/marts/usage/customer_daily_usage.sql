{{ config(**incremental_by_input_days('usage_date')) }}
-- One row per customer per day with any activity: runs, LLM calls and their estimated cost,
-- agent activity metrics and the cost of infrastructure dedicated to the customer.
-- Incremental by day: a refresh recomputes the days whose runs, LLM calls, metric points or
-- dedicated costs changed (input_digests.sql).
{%- set inputs = daily_inputs('customer_daily_usage') %}
{%- set days = changed_input_days(inputs) %}
with

-- a run attempt counts on the day it started, and when it succeeded on the day it finished
attempts_started as (

    select * from {{ daily_input(inputs, 'attempts_started', days) }}

),

attempts_succeeded as (

    select * from {{ daily_input(inputs, 'attempts_succeeded', days) }}

),

llm_calls as (

    select * from {{ daily_input(inputs, 'llm_calls', days) }}

),

-- the deltas of the four agent activity metrics
metric_deltas as (

    select * from {{ daily_input(inputs, 'metric_points', days) }}

),

-- the customers' dedicated infrastructure, without the provider invoices for LLM calls
dedicated_costs as (

    select * from {{ daily_input(inputs, 'dedicated_costs', days) }}

),

runs_started as (

    select
        customer_id,
        cast(started_at as date) as usage_date,
        count(distinct run_id) as runs_started,
        count(*) as run_attempts_started

    from attempts_started
    group by customer_id, cast(started_at as date)

),

runs_succeeded as (

    select
        customer_id,
        cast(finished_at as date) as usage_date,
        count(distinct run_id) as runs_succeeded

    from attempts_succeeded
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
    group by customer_id, point_date

),

dedicated_infra_costs as (

    -- effective (amortised) cost, the FOCUS measure meant for allocation; provider invoices for
    -- LLM calls are left out (daily_inputs.sql): AI cost is estimated per call above
    select
        tag_customer_id as customer_id,
        charge_date as usage_date,
        sum(effective_cost_usd) as dedicated_infra_cost_usd

    from dedicated_costs
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
