-- Interactive versus headless sessions per week and organisation.
select
    cast({{ dbt.date_trunc('week', 'activity_date') }} as date) as week_start_date,
    customer_id,
    sum(interactive_sessions) as interactive_sessions,
    sum(headless_sessions) as headless_sessions
from {{ ref('adoption_daily') }}
where adoption_level = 'organization'
group by 1, 2
order by 1, 2
