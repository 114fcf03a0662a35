{#-
    Splits amounts over the rows of each partition in proportion to a weight, exactly.

    `relation` (a CTE) holds one row per (cost pool, target): the pool's `amounts` repeated on
    each of its rows and the target's `weight` (> 0). Returns a select statement with every column
    of `relation` plus `allocated_<amount>` per amount: amount x weight / sum of weights, cast to
    money_type(). The rounding residue of each pool (amount minus the sum of its shares, a few
    1e-12) goes to the row with the largest weight (ties: the column `tie_breaker` ascending), so a pool's
    shares always add up to its amount to the last decimal.
-#}
{% macro allocate_proportionally(relation, partition_by, weight, amounts, tie_breaker) -%}
    {%- set partition = partition_by | join(', ') -%}
    select
        shares.*,
        {%- for amount in amounts %}
        shares._share_{{ amount }}
        + case
            when shares._allocation_rank = 1
                then shares.{{ amount }} - sum(shares._share_{{ amount }}) over (
                    partition by {{ partition }}
                )
            else 0
        end as allocated_{{ amount }}{{ "," if not loop.last }}
        {%- endfor %}
    from (
        select
            pooled.*,
            {%- for amount in amounts %}
            cast(
                pooled.{{ amount }}
                * (
                    cast(pooled.{{ weight }} as {{ type_double() }})
                    / sum(cast(pooled.{{ weight }} as {{ type_double() }})) over (
                        partition by {{ partition }}
                    )
                )
                as {{ money_type() }}
            ) as _share_{{ amount }},
            {%- endfor %}
            row_number() over (
                partition by {{ partition }}
                order by pooled.{{ weight }} desc, pooled.{{ tie_breaker }}
            ) as _allocation_rank
        from {{ relation }} as pooled
    ) as shares
{%- endmacro %}
