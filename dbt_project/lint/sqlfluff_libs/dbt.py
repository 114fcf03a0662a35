"""A stand-in for dbt's cross-database macros (`dbt.datediff`, ...) when sqlfluff renders the
models with its jinja templater: each returns the SQL dbt-duckdb would generate. Only for linting.
"""


def datediff(first_date, second_date, datepart):
    return f"date_diff('{datepart}', {first_date}::timestamp, {second_date}::timestamp)"


def dateadd(datepart, interval, from_date_or_timestamp):
    return f"({from_date_or_timestamp} + cast({interval} as bigint) * interval 1 {datepart})"


def date_trunc(datepart, date):
    return f"date_trunc('{datepart}', {date})"


def safe_cast(field, type_):
    return f"cast({field} as {type_})"


def split_part(string_text, delimiter_text, part_number):
    return f"split_part({string_text}, {delimiter_text}, {part_number})"


def hash(field):
    return f"md5(cast({field} as varchar))"


def concat(fields):
    return f"concat({', '.join(fields)})"


def listagg(measure, delimiter_text="','", order_by_clause=None, limit_num=None):
    order = f" {order_by_clause}" if order_by_clause else ""
    return f"string_agg({measure}, {delimiter_text}{order})"


def bool_or(expression):
    return f"bool_or({expression})"


def current_timestamp():
    return "now()"


def generate_series(upper_bound):
    return f"select generate_series as generated_number from generate_series(1, {upper_bound})"


def type_string():
    return "varchar"


def type_int():
    return "integer"


def type_bigint():
    return "bigint"


def type_float():
    return "double"


def type_timestamp():
    return "timestamp"


def type_numeric():
    return "numeric(28, 6)"


def type_boolean():
    return "boolean"
