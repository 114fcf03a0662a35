-- Adoption by organisation, team and repository: daily, weekly, monthly active users on the
-- newest day.
select
    customer_id,
    adoption_level,
    group_value,
    daily_active_users,
    weekly_active_users,
    monthly_active_users
from {{ ref('adoption_daily') }}
where activity_date = (select max(activity_date) from {{ ref('adoption_daily') }})
order by customer_id, adoption_level, monthly_active_users desc
