-- Top workflows (templates, slash commands, skills, hooks, MCP servers) of the last 30 days.
select
    workflow_type,
    workflow_name,
    sum(invocations) as invocations,
    rank() over (partition by workflow_type order by sum(invocations) desc) as rank_in_type
from {{ ref('workflow_usage_daily') }}
where activity_date > (
    select {{ dbt.dateadd('day', -30, 'max(activity_date)') }}
    from {{ ref('workflow_usage_daily') }}
)
group by workflow_type, workflow_name
order by workflow_type, rank_in_type
