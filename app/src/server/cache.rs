//! What token verification keeps in memory so that a request costs no database round trip,
//! and how it is invalidated: at once on this instance by the change itself, and within a
//! second on every other instance sharing the database, through a generation value that
//! each change rewrites and each instance polls.
use rustc_hash::FxHashMap as HashMap;
use sea_orm::{ConnectionTrait, EntityTrait};
use std::hash::{BuildHasher, Hash};
use std::sync::{Arc, RwLock};

use super::entity::{access_token, setting};
use super::error::Result;
use super::secrets;
use super::service::{
    accounts::Account,
    settings::{self, TokenSettings},
    traffic::EndpointAccess,
};

const GENERATION_KEY: &str = "cache_generation";
/// Entries per map before it starts afresh: only tokens that verified are kept, so this is
/// reached only with more live tokens than that, and then costs one reload each.
const CAPACITY: usize = 200_000;
/// Each map is split so that the two workers' read locks rarely touch the same lock word:
/// a shared one bounces between the cores on every request.
const SHARDS: usize = 16;

/// A read-mostly map: lookups share a read lock and never wait for each other, which is
/// what verification needs (an LRU cache records every read and made requests queue).
#[derive(Debug)]
struct Map<K, V>([RwLock<HashMap<K, V>>; SHARDS]);

impl<K, V> Default for Map<K, V> {
    fn default() -> Self {
        Self(std::array::from_fn(|_| RwLock::new(HashMap::default())))
    }
}

impl<K: Hash + Eq, V: Clone> Map<K, V> {
    fn shard<Q: Hash + ?Sized>(&self, key: &Q) -> &RwLock<HashMap<K, V>> {
        let hash = usize::try_from(rustc_hash::FxBuildHasher.hash_one(key)).unwrap_or_default();
        &self.0[hash % SHARDS]
    }

    fn get<Q: Hash + Eq + ?Sized>(&self, key: &Q) -> Option<V>
    where
        K: std::borrow::Borrow<Q>,
    {
        self.shard(key).read().ok()?.get(key).cloned()
    }

    fn insert(&self, key: K, value: V) {
        if let Ok(mut map) = self.shard(&key).write() {
            if map.len() >= CAPACITY / SHARDS {
                map.clear();
            }
            map.insert(key, value);
        }
    }

    fn clear(&self) {
        for shard in &self.0 {
            if let Ok(mut map) = shard.write() {
                map.clear();
            }
        }
    }
}

#[derive(Debug, Default)]
pub struct AuthCache {
    /// Keyed by the secret's SHA-256 digest (random bytes, so a fast non-keyed hash is safe).
    tokens: Map<[u8; 32], Arc<access_token::Model>>,
    owners: Map<i64, Arc<Account>>,
    /// Digests of (token, pass code) pairs already verified with argon2.
    pass_codes: Map<String, ()>,
    /// Endpoints by path, with their primaries and assigned endpoint tokens.
    endpoints: Map<String, Arc<EndpointAccess>>,
    settings: RwLock<Option<Arc<TokenSettings>>>,
    generation: RwLock<Option<String>>,
}

impl AuthCache {
    pub fn token(&self, digest: &[u8; 32]) -> Option<Arc<access_token::Model>> {
        self.tokens.get(digest)
    }

    pub fn put_token(
        &self,
        digest: [u8; 32],
        token: access_token::Model,
    ) -> Arc<access_token::Model> {
        let token = Arc::new(token);
        self.tokens.insert(digest, token.clone());
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

    pub fn endpoint(&self, path: &str) -> Option<Arc<EndpointAccess>> {
        self.endpoints.get(path)
    }

    pub fn put_endpoint(&self, path: String, access: EndpointAccess) -> Arc<EndpointAccess> {
        let access = Arc::new(access);
        self.endpoints.insert(path, access.clone());
        access
    }

    fn pass_code_key(token_digest: &str, pass_code: &str) -> String {
        secrets::digest(&format!("{token_digest}\0{pass_code}"))
    }

    pub fn pass_code_verified(&self, token_digest: &str, pass_code: &str) -> bool {
        self.pass_codes
            .get(&Self::pass_code_key(token_digest, pass_code))
            .is_some()
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
        self.tokens.clear();
        self.owners.clear();
        self.pass_codes.clear();
        self.endpoints.clear();
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
