-- Cost per operation (chat, embeddings, tools) per day.
select
    cost_date,
    operation_name,
    cost_basis,
    sum(calls) as calls,
    sum(cost_usd) as cost_usd
from {{ ref('cost_by_operation_daily') }}
group by cost_date, operation_name, cost_basis
order by cost_date, cost_usd desc
