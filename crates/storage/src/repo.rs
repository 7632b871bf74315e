//! Repository traits, one per aggregate. Backends implement all of them and
//! [`Store`] bundles them so services hold a single `Arc<dyn Store>`.
//!
//! Lookups return `Ok(None)` when nothing matches; writes that stamp time take
//! the time as a parameter (from the caller's [`crate::Clock`]).

use async_trait::async_trait;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::error::Result;
use crate::records::{
    AuditEvent, AuditFilter, Client, ClientStatus, Consent, Enrollment, Passkey, RefreshKey,
    RefreshToken, RegistrationToken, Rotation, SigningKey, Successor, TotpFactor, User, UserStatus,
};

#[async_trait]
pub trait UserRepo: Send + Sync {
    /// Inserts a user. `AlreadyExists { what: "username" }` or
    /// `AlreadyExists { what: "citizen_id" }` when taken.
    async fn create_user(&self, user: &User) -> Result<()>;
    async fn user_by_id(&self, id: Uuid) -> Result<Option<User>>;
    /// `username` is the canonical (lower-case) form.
    async fn user_by_username(&self, username: &str) -> Result<Option<User>>;
    /// Looks up by the citizen ID's blind index.
    async fn user_by_citizen_index(&self, index: &[u8]) -> Result<Option<User>>;
    async fn set_user_status(&self, id: Uuid, status: UserStatus, at: OffsetDateTime)
    -> Result<()>;
    async fn set_user_password(
        &self,
        id: Uuid,
        password_hash: &str,
        at: OffsetDateTime,
    ) -> Result<()>;
    /// Sets the account's phone (E.164), verified: the caller has just
    /// checked a code sent to it. `NotFound { what: "user" }` if absent.
    async fn set_user_phone(&self, id: Uuid, e164: &str, at: OffsetDateTime) -> Result<()>;
    /// Users whose username starts with `prefix`, ordered by username.
    async fn search_users(&self, prefix: &str, limit: u32, offset: u32) -> Result<Vec<User>>;
    /// Disables an account as one unit of work, in one transaction: the
    /// status becomes `Disabled` (stamped `at`), every live refresh family
    /// of the user is revoked at `at`, and `audit` is appended. Either all
    /// three are written or none: an account is never left disabled with
    /// live refresh tokens, or cut off without its audit record.
    /// `NotFound { what: "user" }` (nothing written) if there is no such
    /// user. Disabling a disabled user revokes what is live and records
    /// the event again.
    async fn disable_user(
        &self,
        user_id: Uuid,
        at: OffsetDateTime,
        audit: &AuditEvent,
    ) -> Result<DisableOutcome>;
    /// Deletes a citizen's account at their request (PDPA s.33 erasure), as
    /// one unit of work in one transaction: every live refresh family of
    /// the user is revoked at `at` (counted) and goes with the user row,
    /// as do the remembered consents; the enrollments that created the
    /// account (their copy of names, birth date, sealed citizen ID, phone
    /// and password hash) are deleted; and `audit` (which must hold no
    /// personal data) is appended. The citizen ID's blind index goes with
    /// the row, so the same citizen may enroll again, and the username is
    /// free. Audit events naming the account's random id stay until
    /// `retention.audit_days`. All or nothing. `NotFound { what: "user" }`
    /// (nothing written) if there is no such user.
    async fn delete_user_account(
        &self,
        user_id: Uuid,
        at: OffsetDateTime,
        audit: &AuditEvent,
    ) -> Result<DeleteOutcome>;
}

/// What [`UserRepo::delete_user_account`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeleteOutcome {
    /// Refresh families that were live (now gone with the account).
    pub refresh_tokens_revoked: u64,
    /// Remembered consents deleted.
    pub consents_deleted: u64,
    /// Enrollment records (copies of personal data) deleted.
    pub enrollments_deleted: u64,
}

/// What [`UserRepo::disable_user`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DisableOutcome {
    /// Refresh families that were live and are now revoked.
    pub refresh_tokens_revoked: u64,
}

#[async_trait]
pub trait EnrollmentRepo: Send + Sync {
    async fn create_enrollment(&self, enrollment: &Enrollment) -> Result<()>;
    async fn enrollment_by_id(&self, id: Uuid) -> Result<Option<Enrollment>>;
    /// Stores `enrollment` if the stored version is still `enrollment.version
    /// - 1` (the caller increments it); `Conflict` otherwise.
    async fn update_enrollment(&self, enrollment: &Enrollment) -> Result<()>;
    /// In one transaction: inserts `user`, marks the enrollment completed
    /// (step `Completed`, `user_id` set, version bumped) if its stored version
    /// is `expected_version`, and appends `audit`. `Conflict` if the version
    /// moved (someone else completed it), `AlreadyExists` if the user's
    /// username or citizen ID is taken — in which case nothing is written.
    /// The record goes in the same transaction because a completed
    /// enrollment is answered as such to every later confirm: an account
    /// committed without its record (the node dying in between) would be
    /// acknowledged on the client's retry and never audited.
    async fn complete_enrollment(
        &self,
        enrollment_id: Uuid,
        expected_version: i64,
        user: &User,
        at: OffsetDateTime,
        audit: &AuditEvent,
    ) -> Result<()>;
    /// Deletes unfinished enrollments whose `expires_at` is before `now`
    /// (PDPA: unfinished enrollments are not kept). Returns how many.
    async fn delete_expired_enrollments(&self, now: OffsetDateTime) -> Result<u64>;
    /// Deletes completed enrollments closed before `before`: the account
    /// holds what it needs, and the enrollment's copy of names, birth date,
    /// sealed citizen ID, phone and password hash has served its purpose
    /// (PDPA). Returns how many.
    async fn delete_completed_enrollments(&self, before: OffsetDateTime) -> Result<u64>;
}

#[async_trait]
pub trait ClientRepo: Send + Sync {
    /// `AlreadyExists { what: "client_id" }` when taken.
    async fn create_client(&self, client: &Client) -> Result<()>;
    async fn client_by_id(&self, client_id: &str) -> Result<Option<Client>>;
    /// Ordered by `client_id`, paged.
    async fn list_clients(&self, limit: u32, offset: u32) -> Result<Vec<Client>>;
    /// Replaces every field but `client_id` and `created_at`. `NotFound` if
    /// absent.
    async fn update_client(&self, client: &Client) -> Result<()>;
    async fn set_client_secret(
        &self,
        client_id: &str,
        secret_hash: Option<&[u8]>,
        at: OffsetDateTime,
    ) -> Result<()>;
    async fn set_client_status(
        &self,
        client_id: &str,
        status: ClientStatus,
        at: OffsetDateTime,
    ) -> Result<()>;
    /// Deletes the client with its consents and refresh tokens. Returns
    /// whether it existed.
    async fn delete_client(&self, client_id: &str) -> Result<bool>;
    /// [`ClientRepo::delete_client`] and the appending of `audit`, in one
    /// transaction: the client goes with its consents and refresh tokens
    /// and its audit record, or nothing changes.
    /// `NotFound { what: "client" }` (nothing written, no audit) if there
    /// is no such client.
    async fn delete_client_with_audit(&self, client_id: &str, audit: &AuditEvent) -> Result<()>;
}

#[async_trait]
pub trait ConsentRepo: Send + Sync {
    /// Inserts or replaces the consent of `(user_id, client_id)`.
    async fn put_consent(&self, consent: &Consent) -> Result<()>;
    /// [`Self::put_consent`] and the appending of `audit`, in one
    /// transaction: a consent is in force from its commit on (the next
    /// sign-in shows no consent page), so one committed without its record
    /// (the node dying in between, or the record refused) would stand
    /// unrecorded. All or nothing.
    async fn grant_consent(&self, consent: &Consent, audit: &AuditEvent) -> Result<()>;
    async fn consent(&self, user_id: Uuid, client_id: &str) -> Result<Option<Consent>>;
    /// Every remembered consent of a user, newest grant first.
    async fn consents_of_user(&self, user_id: Uuid) -> Result<Vec<Consent>>;
    async fn revoke_consent(&self, user_id: Uuid, client_id: &str) -> Result<bool>;
    /// Withdraws a user's consent for one client as one unit of work, in
    /// one transaction: the remembered consent (if any) is deleted, the
    /// live refresh families the client holds for that user are revoked at
    /// `at` (whether or not a consent was remembered: withdrawing means
    /// the client may no longer act for the user), and `audit` is
    /// appended. All or nothing. `NotFound { what: "user" }` (nothing
    /// written) if there is no such user; an unknown client has no consent
    /// and no tokens, so that withdrawal changes nothing but the audit.
    async fn withdraw_consent(
        &self,
        user_id: Uuid,
        client_id: &str,
        at: OffsetDateTime,
        audit: &AuditEvent,
    ) -> Result<WithdrawOutcome>;
}

/// What [`ConsentRepo::withdraw_consent`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WithdrawOutcome {
    /// Whether a remembered consent existed (and was deleted).
    pub consent_revoked: bool,
    /// The client's refresh families of the user that were live and are
    /// now revoked.
    pub refresh_tokens_revoked: u64,
}

#[async_trait]
pub trait RefreshTokenRepo: Send + Sync {
    /// Stores a new family with its first token (`used_at` is not stored).
    async fn insert_refresh_token(&self, token: &RefreshToken) -> Result<()>;
    async fn refresh_token(&self, key: RefreshKey<'_>) -> Result<Option<RefreshToken>>;
    /// Atomically: if the token `key` names was issued to `client_id` and is
    /// its family's current one (unrevoked, unexpired at `now`), replace it
    /// with `next`; if it was already spent or its family revoked, revoke
    /// the whole family and report `Reused`. A token of another client is
    /// `Unknown` and left as it is. This is the refresh grant's one round
    /// trip: it also reads the family's user.
    async fn rotate_refresh_token(
        &self,
        key: RefreshKey<'_>,
        client_id: &str,
        next: &Successor,
        now: OffsetDateTime,
    ) -> Result<Rotation>;
    /// Revokes a family. Returns 1 if it was live, else 0.
    async fn revoke_refresh_family(&self, family_id: Uuid, at: OffsetDateTime) -> Result<u64>;
    /// Revokes every family issued under an SSO session (logout).
    async fn revoke_refresh_by_session(&self, session_id: &str, at: OffsetDateTime) -> Result<u64>;
    /// Revokes every family of a user (disable, force logout).
    async fn revoke_refresh_by_user(&self, user_id: Uuid, at: OffsetDateTime) -> Result<u64>;
    /// Deletes families whose current token expired before `now`.
    async fn delete_expired_refresh_tokens(&self, now: OffsetDateTime) -> Result<u64>;
}

#[async_trait]
pub trait SigningKeyRepo: Send + Sync {
    async fn insert_signing_key(&self, key: &SigningKey) -> Result<()>;
    /// Inserts `key` only when no key of its algorithm is live at `now` (not
    /// retired); returns whether it did. Nodes starting together on an empty
    /// table each try to create the first keys: exactly one wins per
    /// algorithm, so no node signs with a key the others do not publish yet.
    async fn insert_first_signing_key(&self, key: &SigningKey, now: OffsetDateTime)
    -> Result<bool>;
    /// Every key not yet expired at `now`, oldest first.
    async fn signing_keys(&self, now: OffsetDateTime) -> Result<Vec<SigningKey>>;
    /// Sets `retires_at` / `expires_at` of a key.
    async fn retire_signing_key(
        &self,
        kid: &str,
        retires_at: OffsetDateTime,
        expires_at: OffsetDateTime,
    ) -> Result<()>;
}

#[async_trait]
pub trait AuditRepo: Send + Sync {
    async fn append_audit(&self, event: &AuditEvent) -> Result<()>;
    /// Newest first, at most `filter.limit` (capped by the backend at 1000).
    async fn list_audit(&self, filter: &AuditFilter) -> Result<Vec<AuditEvent>>;
    /// Retention: deletes events older than `cutoff`.
    async fn delete_audit_before(&self, cutoff: OffsetDateTime) -> Result<u64>;
}

/// Initial access tokens for dynamic client registration. They are kept in
/// the database because the CLI that issues them and the servers that accept
/// them share nothing else.
#[async_trait]
pub trait RegistrationTokenRepo: Send + Sync {
    /// `AlreadyExists { what: "registration_token" }` for a digest already
    /// stored.
    async fn insert_registration_token(&self, token: &RegistrationToken) -> Result<()>;
    /// Whether the token is stored and unexpired at `now` (does not use it).
    async fn registration_token_valid(
        &self,
        token_hash: &[u8],
        now: OffsetDateTime,
    ) -> Result<bool>;
    /// Atomically deletes the token if it is unexpired at `now`; returns
    /// whether it was (of two concurrent callers, one gets `true`).
    async fn consume_registration_token(
        &self,
        token_hash: &[u8],
        now: OffsetDateTime,
    ) -> Result<bool>;
    /// Deletes tokens that expired before `now`. Returns how many.
    async fn delete_expired_registration_tokens(&self, now: OffsetDateTime) -> Result<u64>;
}

/// A user's second factors besides the phone: the authenticator app (TOTP)
/// and its recovery codes. Both go with the user row (account deletion).
#[async_trait]
pub trait SecondFactorRepo: Send + Sync {
    /// Stores `factor` as the user's pending TOTP (its `activated_at` and
    /// `last_used_step` are ignored), replacing a pending one.
    /// `AlreadyExists { what: "totp" }` (nothing written) if the user has
    /// an active one; `NotFound { what: "user" }` if there is no such user.
    async fn put_pending_totp(&self, factor: &TotpFactor) -> Result<()>;
    async fn totp_of_user(&self, user_id: Uuid) -> Result<Option<TotpFactor>>;
    /// Compare-and-set: activates the user's pending TOTP with `step` as
    /// its last used step. Returns whether it did (`false` if there is no
    /// pending TOTP: none, or already active).
    async fn activate_totp(&self, user_id: Uuid, step: i64, at: OffsetDateTime) -> Result<bool>;
    /// Compare-and-set: records `step` as the active TOTP's last used step
    /// if it is later than the one stored. Returns whether it did; of two
    /// parallel uses of one code, exactly one gets `true`.
    async fn use_totp_step(&self, user_id: Uuid, step: i64) -> Result<bool>;
    /// Deletes the user's TOTP (pending or active) and every recovery code,
    /// in one transaction. Returns whether a TOTP existed.
    async fn delete_totp(&self, user_id: Uuid) -> Result<bool>;
    /// Replaces the user's recovery codes with `code_hashes`, in one
    /// transaction.
    async fn replace_recovery_codes(
        &self,
        user_id: Uuid,
        code_hashes: &[Vec<u8>],
        at: OffsetDateTime,
    ) -> Result<()>;
    /// Atomically marks the user's unused code `code_hash` used at `at`.
    /// Returns whether it did; a code is consumed once.
    async fn consume_recovery_code(
        &self,
        user_id: Uuid,
        code_hash: &[u8],
        at: OffsetDateTime,
    ) -> Result<bool>;
    /// How many unused recovery codes the user has.
    async fn recovery_codes_left(&self, user_id: Uuid) -> Result<u32>;
}

/// The passkeys of accounts. A credential ID belongs to one account only,
/// so sign-in can find the account from the credential the browser chose.
/// An account's passkeys go with it (`delete_user_account`).
#[async_trait]
pub trait PasskeyRepo: Send + Sync {
    /// `AlreadyExists { what: "passkey" }` if the credential ID is stored
    /// (for this account or another); `NotFound { what: "referenced
    /// record" }` if there is no such user.
    async fn add_passkey(&self, passkey: &Passkey) -> Result<()>;
    /// The account's passkeys, oldest first.
    async fn passkeys_of_user(&self, user_id: Uuid) -> Result<Vec<Passkey>>;
    async fn passkey_by_credential_id(&self, credential_id: &[u8]) -> Result<Option<Passkey>>;
    /// After a sign-in with it: stores the updated serialised credential
    /// (its signature counter moves) and stamps `last_used_at`.
    /// `NotFound { what: "passkey" }` if it was removed meanwhile.
    async fn record_passkey_use(
        &self,
        credential_id: &[u8],
        credential: &str,
        at: OffsetDateTime,
    ) -> Result<()>;
    /// Removes one of the account's passkeys; `false` if the account has no
    /// such passkey (another account's credential ID removes nothing).
    async fn remove_passkey(&self, user_id: Uuid, credential_id: &[u8]) -> Result<bool>;
}

/// Everything the relational store offers, behind one object.
#[async_trait]
pub trait Store:
    UserRepo
    + EnrollmentRepo
    + ClientRepo
    + ConsentRepo
    + RefreshTokenRepo
    + SigningKeyRepo
    + AuditRepo
    + RegistrationTokenRepo
    + SecondFactorRepo
    + PasskeyRepo
    + std::fmt::Debug
    + Send
    + Sync
{
    /// Cheap round trip for `/readyz`.
    async fn ping(&self) -> Result<()>;
    /// Applies pending migrations. On PostgreSQL this holds an advisory lock
    /// so several nodes starting at once migrate exactly once.
    async fn migrate(&self) -> Result<()>;
    /// `"sqlite"` or `"postgres"`, for logs and metrics.
    fn backend(&self) -> &'static str;
    /// Writes a consistent copy of the whole database to `dest` (a new
    /// file), online: the server may go on serving meanwhile. SQLite only;
    /// PostgreSQL is backed up with its own tools (`pg_dump`), which
    /// `pratu backup` runs.
    async fn backup_into(&self, dest: &std::path::Path) -> Result<()> {
        let _ = dest; // Only SQLite writes a copy itself.
        Err(crate::error::StorageError::unhandled(BackupUnsupported(
            self.backend(),
        )))
    }
    /// A snapshot of every connection pool, for metrics: SQLite reports its
    /// writer and reader pools (`"sqlite_writer"`, `"sqlite_reader"`; one
    /// pool, the writer, for an in-memory database), PostgreSQL its one pool
    /// (`"postgres"`). Cheap and non-blocking: call it on every scrape.
    fn pool_stats(&self) -> Vec<PoolStats>;
}

/// [`Store::backup_into`] on a backend that is backed up otherwise.
#[derive(Debug, thiserror::Error)]
#[error("the {0} store is not backed up by Pratu itself")]
pub struct BackupUnsupported(pub &'static str);

/// How busy one connection pool is. Connections in use are `size - idle`;
/// a pool whose `size - idle` stays at `max` makes callers queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStats {
    /// Which pool: `"sqlite_writer"`, `"sqlite_reader"` or `"postgres"`.
    pub pool: &'static str,
    /// Connections currently open, idle or in use.
    pub size: u32,
    /// Open connections not in use.
    pub idle: u32,
    /// The most connections the pool will open.
    pub max: u32,
}

impl PoolStats {
    /// Reads the counters of a `sqlx` pool.
    pub(crate) fn of<DB: sqlx::Database>(pool: &'static str, p: &sqlx::Pool<DB>) -> Self {
        Self {
            pool,
            size: p.size(),
            idle: u32::try_from(p.num_idle()).unwrap_or(u32::MAX),
            max: p.options().get_max_connections(),
        }
    }
}
