//! What token verification keeps in memory so that a request costs no database round trip,
//! and how it is invalidated: at once on this instance by the change itself, and within a
//! second on every other instance sharing the database, through a generation value that
//! each change rewrites and each instance polls.
use std::sync::{Arc, RwLock};
use std::time::Duration;

use moka::sync::Cache;
use sea_orm::{ConnectionTrait, EntityTrait};

use super::entity::{access_token, setting};
use super::error::Result;
use super::secrets;
use super::service::{
    accounts::Account,
    settings::{self, TokenSettings},
};

const GENERATION_KEY: &str = "cache_generation";
/// A backstop only: changes invalidate explicitly.
const TIME_TO_LIVE: Duration = Duration::from_secs(60);
const CAPACITY: u64 = 200_000;

#[derive(Debug)]
pub struct AuthCache {
    tokens: Cache<String, Arc<access_token::Model>>,
    owners: Cache<i64, Arc<Account>>,
    /// Digests of (token, pass code) pairs already verified with argon2.
    pass_codes: Cache<String, ()>,
    settings: RwLock<Option<Arc<TokenSettings>>>,
    generation: RwLock<Option<String>>,
}

impl Default for AuthCache {
    fn default() -> Self {
        Self {
            tokens: bounded(),
            owners: bounded(),
            pass_codes: bounded(),
            settings: RwLock::new(None),
            generation: RwLock::new(None),
        }
    }
}

fn bounded<K, V>() -> Cache<K, V>
where
    K: std::hash::Hash + Eq + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    Cache::builder()
        .max_capacity(CAPACITY)
        .time_to_live(TIME_TO_LIVE)
        .build()
}

impl AuthCache {
    pub fn token(&self, digest: &str) -> Option<Arc<access_token::Model>> {
        self.tokens.get(digest)
    }

    pub fn put_token(&self, token: access_token::Model) -> Arc<access_token::Model> {
        let token = Arc::new(token);
        self.tokens
            .insert(token.secret_digest.clone(), token.clone());
        token
    }

    pub fn owner(&self, id: i64) -> Option<Arc<Account>> {
        self.owners.get(&id)
    }

    pub fn put_owner(&self, account: Account) -> Arc<Account> {
        let account = Arc::new(account);
        self.owners.insert(account.user.id, account.clone());
        account
    }

    fn pass_code_key(token_digest: &str, pass_code: &str) -> String {
        secrets::digest(&format!("{token_digest}\0{pass_code}"))
    }

    pub fn pass_code_verified(&self, token_digest: &str, pass_code: &str) -> bool {
        self.pass_codes
            .contains_key(&Self::pass_code_key(token_digest, pass_code))
    }

    pub fn remember_pass_code(&self, token_digest: &str, pass_code: &str) {
        self.pass_codes
            .insert(Self::pass_code_key(token_digest, pass_code), ());
    }

    pub fn settings(&self) -> Option<Arc<TokenSettings>> {
        self.settings.read().ok().and_then(|s| s.clone())
    }

    pub fn put_settings(&self, settings: TokenSettings) -> Arc<TokenSettings> {
        let settings = Arc::new(settings);
        if let Ok(mut slot) = self.settings.write() {
            *slot = Some(settings.clone());
        }
        settings
    }

    fn clear(&self) {
        self.tokens.invalidate_all();
        self.owners.invalidate_all();
        self.pass_codes.invalidate_all();
        if let Ok(mut slot) = self.settings.write() {
            *slot = None;
        }
    }

    /// Called by every change that can alter a verification (token, owner, settings): forgets
    /// everything here and tells the other instances through a new generation value.
    pub async fn changed(&self, db: &impl ConnectionTrait) -> Result<()> {
        self.clear();
        let generation = secrets::random_alphanumeric(16);
        settings::put(db, GENERATION_KEY, generation.clone()).await?;
        if let Ok(mut slot) = self.generation.write() {
            *slot = Some(generation);
        }
        Ok(())
    }

    /// Reads the shared generation and forgets everything when another instance changed it.
    pub async fn follow_generation(&self, db: &impl ConnectionTrait) -> Result<()> {
        let current = setting::Entity::find_by_id(GENERATION_KEY)
            .one(db)
            .await?
            .map(|row| row.value);
        let seen = self.generation.read().ok().and_then(|g| g.clone());
        if current != seen {
            self.clear();
            if let Ok(mut slot) = self.generation.write() {
                *slot = current;
            }
        }
        Ok(())
    }
}
