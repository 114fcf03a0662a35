-- Tool usage: invocations, success rate, execution time and risk level per tool.
select
    tool_name,
    risk_level,
    sum(invocations) as invocations,
    sum(succeeded_invocations) * 1.0 / nullif(sum(invocations), 0) as success_rate,
    sum(execution_seconds) as execution_seconds,
    max(duration_p95_ms) as worst_daily_p95_ms
from {{ ref('tool_usage_daily') }}
group by tool_name, risk_level
order by invocations desc
