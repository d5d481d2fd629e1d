//! The casbin policy port on SQL: lines in `policy_rules`, values in `v0`..`v5` ('' = absent).

use async_trait::async_trait;
use portal_core::model::PolicyRule;
use portal_core::ports::PolicyStore;
use portal_core::{Error, Result};
use sqlx::any::AnyRow;
use sqlx::Row;

use super::map_err;
use super::tx::SqlTx;

const COLUMNS: [&str; PolicyRule::MAX_VALUES] = ["v0", "v1", "v2", "v3", "v4", "v5"];

/// The six value columns of `rule`, absent ones as ''.
fn padded(rule: &PolicyRule) -> impl Iterator<Item = String> + '_ {
    (0..PolicyRule::MAX_VALUES).map(|i| rule.values().get(i).cloned().unwrap_or_default())
}

fn decode(row: &AnyRow) -> Result<PolicyRule> {
    let ptype: String = row.try_get("ptype").map_err(map_err)?;
    let mut values = Vec::with_capacity(PolicyRule::MAX_VALUES);
    for col in COLUMNS {
        let v: String = row.try_get(col).map_err(map_err)?;
        if v.is_empty() {
            break;
        }
        values.push(v);
    }
    PolicyRule::new(ptype, values).map_err(|e| Error::internal("stored policy line is invalid").with_source(e))
}

#[async_trait]
impl PolicyStore for SqlTx {
    async fn add_policy_rule(&mut self, rule: &PolicyRule) -> Result<bool> {
        let mut q = sqlx::query(
            "INSERT INTO policy_rules (ptype, v0, v1, v2, v3, v4, v5) VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT DO NOTHING",
        )
        .bind(rule.ptype().to_owned());
        for v in padded(rule) {
            q = q.bind(v);
        }
        Ok(self.exec(q).await? == 1)
    }

    async fn remove_policy_rule(&mut self, rule: &PolicyRule) -> Result<bool> {
        let mut q = sqlx::query(
            "DELETE FROM policy_rules WHERE ptype = $1
             AND v0 = $2 AND v1 = $3 AND v2 = $4 AND v3 = $5 AND v4 = $6 AND v5 = $7",
        )
        .bind(rule.ptype().to_owned());
        for v in padded(rule) {
            q = q.bind(v);
        }
        Ok(self.exec(q).await? == 1)
    }

    async fn list_policy_rules(&mut self) -> Result<Vec<PolicyRule>> {
        self.all(sqlx::query("SELECT * FROM policy_rules ORDER BY id"), decode).await
    }
}
