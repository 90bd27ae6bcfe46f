//! Demo data: a deterministic catalogue and purchases for a given seed.
//!
//! The same seed on an empty database gives the same rows, on SQLite and
//! Postgres alike. Product names include text well outside ASCII, so that
//! receipts are exercised with it from the first run.

use chrono::{Duration, NaiveDate, NaiveDateTime};
use diesel::Connection;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::store::db::AnyConnection;
use crate::store::db::models::{NewProduct, NewPurchase};
use crate::store::db::queries;

/// How much demo data to make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeedPlan {
    pub products: usize,
    pub purchases: usize,
    /// Items in every purchase; random (1 to 5) when `None`.
    pub items_per_purchase: Option<usize>,
    pub seed: u64,
}

impl Default for SeedPlan {
    fn default() -> Self {
        SeedPlan {
            products: 12,
            purchases: 25,
            items_per_purchase: None,
            seed: 42,
        }
    }
}

/// What a seed run inserted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seeded {
    pub products: usize,
    pub purchases: usize,
    pub items: usize,
}

const CATALOGUE: &[&str] = &[
    "Crème brûlée",
    "Größe XL – Jacke",
    "Пельмени",
    "Σουβλάκι",
    "寿司セット",
    "Espresso beans, 1 kg",
    "Stroopwafels",
    "Café au lait bowl",
    "Smørrebrød platter",
    "Ceramic mug",
    "Tea sampler",
    "Dark chocolate 85 %",
];

const CUSTOMERS: &[&str] = &[
    "Ana Souza",
    "Björn Ström",
    "Chloé Martin",
    "Дмитрий Иванов",
    "Eleni Papadaki",
];

/// Inserts the planned rows in one transaction.
pub fn seed(conn: &mut AnyConnection, plan: &SeedPlan) -> diesel::QueryResult<Seeded> {
    let mut rng = ChaCha8Rng::seed_from_u64(plan.seed);
    conn.transaction(|conn| {
        let mut product_ids = Vec::with_capacity(plan.products);
        for index in 0..plan.products {
            let name = product_name(index);
            let price_cents = rng.random_range(50..=9_999);
            product_ids.push(queries::insert_product(
                conn,
                &NewProduct {
                    name: &name,
                    price_cents,
                },
            )?);
        }

        let start = NaiveDate::from_ymd_opt(2026, 1, 1)
            .and_then(|day| day.and_hms_opt(9, 0, 0))
            .unwrap_or(NaiveDateTime::MIN);
        let mut items = 0;
        for index in 0..plan.purchases {
            let created_at = start + Duration::minutes(index as i64 * 37 + rng.random_range(0..30));
            let customer_name = rng
                .random_bool(0.7)
                .then(|| CUSTOMERS[rng.random_range(0..CUSTOMERS.len())]);
            let count = plan
                .items_per_purchase
                .unwrap_or_else(|| rng.random_range(1..=5));
            let lines: Vec<(i64, i32)> = if product_ids.is_empty() {
                Vec::new()
            } else {
                (0..count)
                    .map(|_| {
                        let product = product_ids[rng.random_range(0..product_ids.len())];
                        (product, rng.random_range(1..=5))
                    })
                    .collect()
            };
            items += lines.len();
            queries::insert_purchase(
                conn,
                &NewPurchase {
                    created_at,
                    customer_name,
                },
                &lines,
            )?;
        }
        Ok(Seeded {
            products: product_ids.len(),
            purchases: plan.purchases,
            items,
        })
    })
}

/// The catalogue's names, then numbered variants of them.
fn product_name(index: usize) -> String {
    let base = CATALOGUE[index % CATALOGUE.len()];
    match index / CATALOGUE.len() {
        0 => base.to_owned(),
        round => format!("{base} #{}", round + 1),
    }
}
