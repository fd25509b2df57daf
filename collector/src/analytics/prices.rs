//! The one rule for what a license costs: a feature's yearly seat price for its vendor, else
//! its price for any vendor (an `org_prices` row without a vendor), else 0; an hour of one
//! license costs that price over [`HOURS_PER_YEAR`]. Two SQL shapes of the same rule: a
//! correlated expression for grouped queries, and joins for queries that price every row.

/// Hours in a (365-day) year: a license-hour's share of a yearly seat price.
pub const HOURS_PER_YEAR: f64 = 8760.0;

/// The yearly seat price of the feature in relation `alias` (with `feature` and `vendor`
/// columns), as one SQL expression.
pub fn seat_price(alias: &str) -> String {
    format!(
        "coalesce(
    (SELECT max(per_seat_year) FROM org_prices pr WHERE pr.feature = {alias}.feature AND pr.vendor = {alias}.vendor),
    (SELECT max(per_seat_year) FROM org_prices pr WHERE pr.feature = {alias}.feature AND pr.vendor IS NULL), 0)"
    )
}

/// Joins that price every row of relation `alias`; read the price as [`JOINED_PRICE`].
pub fn price_joins(alias: &str) -> String {
    format!(
        "
    LEFT JOIN (SELECT feature, vendor, max(per_seat_year) AS price FROM org_prices
               WHERE vendor IS NOT NULL GROUP BY ALL) pv
      ON pv.feature = {alias}.feature AND pv.vendor = {alias}.vendor
    LEFT JOIN (SELECT feature, max(per_seat_year) AS price FROM org_prices
               WHERE vendor IS NULL GROUP BY ALL) pa
      ON pa.feature = {alias}.feature"
    )
}

/// The price after [`price_joins`].
pub const JOINED_PRICE: &str = "coalesce(pv.price, pa.price, 0)";

/// The cost of `u.license_hours` after [`price_joins`]`("u")`, summed and rounded to cents
/// (a constant so grouped queries can name it; the test below ties it to the rule above).
pub const COST_SUM: &str =
    "round(sum(u.license_hours * coalesce(pv.price, pa.price, 0)) / 8760, 2)::DOUBLE";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cost_sum_uses_the_joined_price_and_the_hours_of_a_year() {
        assert!(COST_SUM.contains(JOINED_PRICE));
        assert!(COST_SUM.contains(&format!("/ {}", HOURS_PER_YEAR as i64)));
        assert!(price_joins("u").contains("pv.feature = u.feature AND pv.vendor = u.vendor"));
        assert!(seat_price("x").contains("pr.feature = x.feature AND pr.vendor IS NULL"));
    }
}
