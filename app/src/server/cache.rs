//! What token verification keeps in memory so that a request costs no database round trip,
//! and how it is invalidated: at once on this instance after the change commits, and on
//! every other instance sharing the database through the change counter (see
//! `server::change`), which they follow by PostgreSQL notification or by polling.
//!
//! Every fill is stamped with the local epoch read before its database read; a reset moves
//! the epoch on, so a fill that read the database before a change committed is dropped
//! instead of bringing the old state back after the reset.
use rustc_hash::FxHashMap as HashMap;
use sea_orm::{ConnectionTrait, EntityTrait};
use std::hash::{BuildHasher, Hash};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use super::account::Account;
use super::audit_log::RefusalCounts;
use super::endpoint_access::EndpointAccess;
use super::entity::{access_token, change_counter};
use super::error::Result;
use super::secrets;
use crate::model::settings::TokenSettings;

/// Entries per map before it starts afresh: only tokens that verified are kept, so this is
/// reached only with more live tokens than that, and then costs one reload each.
const CAPACITY: usize = 200_000;
/// Each map is split so that the two workers' read locks rarely touch the same lock word:
/// a shared one bounces between the cores on every request.
const SHARDS: usize = 16;

/// The local epoch a fill started in, read before its database read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stamp(u64);

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

    /// Inserts unless the epoch moved on since `stamp`. Checked under the shard's lock, and a
    /// reset moves the epoch before it takes the locks, so either the reset sees the entry
    /// and removes it or the insert sees the new epoch and is skipped.
    fn insert(&self, epoch: &AtomicU64, stamp: Stamp, key: K, value: V) {
        if let Ok(mut map) = self.shard(&key).write() {
            if epoch.load(Ordering::SeqCst) != stamp.0 {
                return;
            }
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
    /// Whether any token may answer to a secret without Tessera's prefix (see
    /// `token_auth::foreign_secrets_possible`).
    foreign: RwLock<Option<bool>>,
    /// Moves on at every reset.
    epoch: AtomicU64,
    /// The highest change counter this instance has caught up with.
    seen: AtomicI64,
    /// Refused requests counted here, so that a flood writes one event per kind a minute.
    pub refusals: RefusalCounts,
    /// One pass-code verification at a time per token (see [`PassCodeTurns`]).
    pub pass_code_turns: PassCodeTurns,
}

/// Parallel requests with the same token and a pass code not yet verified take turns: the
/// first pays argon2 and one attempt, the others then find it verified. Without this, a
/// burst of more than five requests after a cache reset would use up the token's attempts
/// and be refused with 429 although its pass code is right. Tokens share 64 turns by id.
#[derive(Debug)]
pub struct PassCodeTurns([tokio::sync::Mutex<()>; 64]);

impl Default for PassCodeTurns {
    fn default() -> Self {
        Self(std::array::from_fn(|_| tokio::sync::Mutex::new(())))
    }
}

impl PassCodeTurns {
    pub async fn take(&self, token_id: i64) -> tokio::sync::MutexGuard<'_, ()> {
        let index = usize::try_from(token_id.rem_euclid(64)).unwrap_or_default();
        self.0[index].lock().await
    }
}

impl AuthCache {
    /// Read before a database read whose result will be cached.
    pub fn stamp(&self) -> Stamp {
        Stamp(self.epoch.load(Ordering::SeqCst))
    }

    pub fn token(&self, digest: &[u8; 32]) -> Option<Arc<access_token::Model>> {
        self.tokens.get(digest)
    }

    pub fn put_token(
        &self,
        stamp: Stamp,
        digest: [u8; 32],
        token: access_token::Model,
    ) -> Arc<access_token::Model> {
        let token = Arc::new(token);
        self.tokens
            .insert(&self.epoch, stamp, digest, token.clone());
        token
    }

    pub fn owner(&self, id: i64) -> Option<Arc<Account>> {
        self.owners.get(&id)
    }

    pub fn put_owner(&self, stamp: Stamp, account: Account) -> Arc<Account> {
        let account = Arc::new(account);
        self.owners
            .insert(&self.epoch, stamp, account.user.id, account.clone());
        account
    }

    pub fn endpoint(&self, path: &str) -> Option<Arc<EndpointAccess>> {
        self.endpoints.get(path)
    }

    pub fn put_endpoint(
        &self,
        stamp: Stamp,
        path: String,
        access: EndpointAccess,
    ) -> Arc<EndpointAccess> {
        let access = Arc::new(access);
        self.endpoints
            .insert(&self.epoch, stamp, path, access.clone());
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

    pub fn remember_pass_code(&self, stamp: Stamp, token_digest: &str, pass_code: &str) {
        self.pass_codes.insert(
            &self.epoch,
            stamp,
            Self::pass_code_key(token_digest, pass_code),
            (),
        );
    }

    pub fn settings(&self) -> Option<Arc<TokenSettings>> {
        self.settings.read().ok().and_then(|s| s.clone())
    }

    pub fn put_settings(&self, stamp: Stamp, settings: TokenSettings) -> Arc<TokenSettings> {
        let settings = Arc::new(settings);
        if let Ok(mut slot) = self.settings.write() {
            if self.epoch.load(Ordering::SeqCst) == stamp.0 {
                *slot = Some(settings.clone());
            }
        }
        settings
    }

    pub fn foreign_secrets(&self) -> Option<bool> {
        self.foreign.read().ok().and_then(|slot| *slot)
    }

    pub fn put_foreign_secrets(&self, stamp: Stamp, possible: bool) {
        if let Ok(mut slot) = self.foreign.write() {
            if self.epoch.load(Ordering::SeqCst) == stamp.0 {
                *slot = Some(possible);
            }
        }
    }

    /// Forgets everything this instance remembers. Called after every change ends
    /// (committed or not), and when another instance's change is seen.
    pub fn reset(&self) {
        self.epoch.fetch_add(1, Ordering::SeqCst);
        self.tokens.clear();
        self.owners.clear();
        self.pass_codes.clear();
        self.endpoints.clear();
        if let Ok(mut slot) = self.settings.write() {
            *slot = None;
        }
        if let Ok(mut slot) = self.foreign.write() {
            *slot = None;
        }
    }

    /// Records that this instance is up to date with change `counter` (its own, just reset).
    /// A poll that read an older value meanwhile resets once more, which costs a reload.
    pub fn caught_up(&self, counter: i64) {
        self.seen.fetch_max(counter, Ordering::SeqCst);
    }

    /// Reads the shared change counter and forgets everything when another instance has
    /// changed something since this one last looked.
    pub async fn follow(&self, db: &impl ConnectionTrait) -> Result<()> {
        let current = change_counter::Entity::find_by_id(1)
            .one(db)
            .await?
            .map_or(0, |row| row.value);
        // Any difference, not only a higher value: a database restored from a backup
        // counts from where the backup was.
        if current != self.seen.load(Ordering::SeqCst) {
            self.reset();
            self.seen.store(current, Ordering::SeqCst);
        }
        Ok(())
    }
}
