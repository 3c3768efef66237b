//! Last use of each token, gathered in memory and written in batches: verification itself
//! never writes, and a busy token costs at most one write per flush interval.
use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, Set};

use super::entity::access_token;
use super::error::Result;

pub const MAX_IPS: usize = 5;

#[derive(Debug, Default)]
struct Pending {
    at: Option<DateTime<Utc>>,
    /// Most recent first, distinct.
    ips: Vec<String>,
}

#[derive(Debug, Default)]
pub struct UsageLog {
    pending: Mutex<HashMap<i64, Pending>>,
}

/// Puts `ip` first in `ips`, keeping them distinct and at most [`MAX_IPS`].
pub fn merge_ip(ips: &mut Vec<String>, ip: &str) {
    ips.retain(|known| known != ip);
    ips.insert(0, ip.to_owned());
    ips.truncate(MAX_IPS);
}

impl UsageLog {
    pub fn record(&self, token_id: i64, ip: Option<&str>) {
        if let Ok(mut pending) = self.pending.lock() {
            let entry = pending.entry(token_id).or_default();
            entry.at = Some(Utc::now());
            if let Some(ip) = ip {
                merge_ip(&mut entry.ips, ip);
            }
        }
    }

    /// Writes what was gathered since the last flush: one update per token used.
    pub async fn flush(&self, db: &impl ConnectionTrait) -> Result<()> {
        let batch = match self.pending.lock() {
            Ok(mut pending) => std::mem::take(&mut *pending),
            Err(_) => return Ok(()),
        };
        for (token_id, usage) in batch {
            // The token may have been deleted meanwhile; then there is nothing to record.
            let Some(token) = access_token::Entity::find_by_id(token_id).one(db).await? else {
                continue;
            };
            let mut ips: Vec<String> = token
                .last_used_ips
                .as_deref()
                .and_then(|s| serde_json::from_str(s).ok())
                .unwrap_or_default();
            for ip in usage.ips.iter().rev() {
                merge_ip(&mut ips, ip);
            }
            let mut active: access_token::ActiveModel = token.into();
            active.last_used_at = Set(usage.at);
            active.last_used_ips = Set(serde_json::to_string(&ips).ok());
            active.update(db).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::merge_ip;

    #[test]
    fn the_last_five_distinct_addresses_are_kept_newest_first() {
        let mut ips = Vec::new();
        for ip in ["a", "b", "c", "a", "d", "e", "f"] {
            merge_ip(&mut ips, ip);
        }
        assert_eq!(ips, ["f", "e", "d", "a", "c"]);
    }
}
