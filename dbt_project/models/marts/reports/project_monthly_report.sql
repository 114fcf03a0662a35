-- One row per project and month with everything the monthly report shows for a project (as
-- customer_monthly_report, plus the project's share of its customer's cost). See
-- macros/monthly_report.sql.
{{ monthly_report_sql('project') }}
