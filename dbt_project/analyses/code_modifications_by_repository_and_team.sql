-- Code modified by the agents per repository and team.
select
    customer_id,
    team_name,
    repository_name,
    sum(files_modified) as files_modified,
    sum(lines_modified) as lines_modified,
    sum(files_created) as files_created,
    sum(files_deleted) as files_deleted,
    sum(commits) as commits,
    sum(pull_requests) as pull_requests
from {{ ref('fct_code_changes') }}
group by customer_id, team_name, repository_name
order by lines_modified desc
