//! Rows as the store reads and writes them.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::schema::{products, purchase_items, purchases};

/// A product for sale.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Serialize)]
#[diesel(table_name = products)]
pub struct Product {
    pub id: i64,
    pub name: String,
    pub price_cents: i64,
}

/// A product to insert.
#[derive(Debug, Insertable)]
#[diesel(table_name = products)]
pub struct NewProduct<'a> {
    pub name: &'a str,
    pub price_cents: i64,
}

/// A purchase, without its items.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Serialize)]
#[diesel(table_name = purchases)]
pub struct Purchase {
    pub id: i64,
    pub created_at: NaiveDateTime,
    pub customer_name: Option<String>,
}

/// A purchase to insert.
#[derive(Debug, Insertable)]
#[diesel(table_name = purchases)]
pub struct NewPurchase<'a> {
    pub created_at: NaiveDateTime,
    pub customer_name: Option<&'a str>,
}

/// An item of a purchase to insert.
#[derive(Debug, Insertable)]
#[diesel(table_name = purchase_items)]
pub struct NewPurchaseItem {
    pub purchase_id: i64,
    pub product_id: i64,
    pub quantity: i32,
}

/// A purchase with its items, each joined to its product.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PurchaseDetail {
    #[serde(flatten)]
    pub purchase: Purchase,
    pub items: Vec<ItemDetail>,
}

/// One item of a purchase, with the product's name and current price.
#[derive(Debug, Clone, PartialEq, Queryable, Serialize)]
pub struct ItemDetail {
    #[serde(skip)]
    pub purchase_id: i64,
    pub product_id: i64,
    pub product_name: String,
    pub unit_price_cents: i64,
    pub quantity: i32,
}
