//! Refresh-token families on PostgreSQL, one row each (migration 0004).
//! Rotation is the hot path of the token endpoint: one statement (one round
//! trip, the user read with it) that replaces the family's current digest
//! in place, a heap-only update; see
//! [`RefreshTokenRepo::rotate_refresh_token`] below.

use async_trait::async_trait;
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::query::Query;
use sqlx::{PgPool, Postgres};
use time::OffsetDateTime;
use uuid::Uuid;

use super::PgStore;
use super::batch::{Job, column};
use super::row::{Reader, json};
use super::users::{user_columns, user_from_row};
use crate::error::{Result, StorageError};
use crate::records::{RefreshKey, RefreshToken, Rotation, Successor};
use crate::repo::RefreshTokenRepo;
use crate::sql::classify;

/// Every column of `refresh_families`, as a literal for `concat!`.
macro_rules! columns {
    () => {
        "family_id, token_hash, client_id, user_id, scopes, session_id, grant_info, issued_at, \
         expires_at, revoked_at"
    };
}

/// The family a key names: its id (`$1`, NULL for a legacy token) or the
/// legacy digest (`$2`) the migration kept, as an SQL expression.
macro_rules! family_of {
    () => {
        "COALESCE($1, (SELECT family_id FROM refresh_legacy_tokens WHERE token_hash = $2))"
    };
}

/// The family as its current token.
fn family_from_row(row: &PgRow) -> Result<RefreshToken> {
    let r = Reader::new(row, "refresh_families");
    Ok(RefreshToken {
        token_hash: r.get("token_hash")?,
        family_id: r.get("family_id")?,
        client_id: r.get("client_id")?,
        user_id: r.get("user_id")?,
        scopes: r.get("scopes")?,
        session_id: r.get("session_id")?,
        grant: r.json("grant_info")?,
        issued_at: r.get("issued_at")?,
        expires_at: r.get("expires_at")?,
        used_at: None,
        revoked_at: r.get("revoked_at")?,
    })
}

/// The key's bindings for [`family_of!`]: `$1` and `$2`.
fn key_params(key: RefreshKey<'_>) -> (Option<Uuid>, &[u8]) {
    match key {
        RefreshKey::Family {
            family_id,
            token_hash,
        } => (Some(family_id), token_hash),
        RefreshKey::Legacy { token_hash } => (None, token_hash),
    }
}

/// The rotated family and its user, from a row of [`ROTATED`].
fn rotated_from_row(row: &PgRow) -> Result<Rotation> {
    let user = match Reader::new(row, "users").get::<Option<Uuid>>("id")? {
        Some(_) => Some(user_from_row(row)?),
        None => None,
    };
    Ok(Rotation::Rotated {
        current: family_from_row(row)?,
        user,
    })
}

/// What a rotation statement returns: the updated family (`f`, with `n`,
/// its input's place in a batch) and its user. `users` and
/// `refresh_families` share no column name, so the joined row reads as
/// both.
macro_rules! rotated {
    () => {
        concat!(
            " RETURNING ",
            columns!(),
            ") SELECT f.*, ",
            user_columns!(),
            " FROM f LEFT JOIN users ON users.id = f.user_id"
        )
    };
}

/// The rotation condition: the presented token is the family's current
/// one, for this client, unrevoked and unexpired. The row lock of the
/// UPDATE decides a race: the loser waits, re-reads the row, and matches
/// nothing.
macro_rules! current {
    () => {
        " AND token_hash = $2 AND client_id = $6 AND revoked_at IS NULL AND expires_at > $7"
    };
}

/// One rotation of a family named by its token, as a [`Job`]: under load,
/// the rotations queued while others run go to the database as one
/// statement over arrays, one round trip and one commit for all (see
/// `batch`). Rows of different families do not interact; two inputs for
/// the same family (a replayed token racing its legitimate use) update it
/// once, and the other finds it spent afterwards, as with two statements.
pub(super) struct Rotate {
    family_id: Uuid,
    presented: Vec<u8>,
    client_id: String,
    next: Successor,
    now: OffsetDateTime,
}

/// The [`Job`] for [`Rotate`].
pub(super) struct Rotations;

#[async_trait]
impl Job for Rotations {
    type Input = Rotate;
    /// `None`: the presented token is not the family's current one.
    type Output = Option<Rotation>;

    async fn many(&self, pool: &PgPool, inputs: &[Rotate]) -> Result<Vec<Option<Rotation>>> {
        let sql = concat!(
            "WITH i AS (SELECT * FROM unnest($1::uuid[], $2::bytea[], $3::bytea[], \
             $4::timestamptz[], $5::timestamptz[], $6::text[], $7::timestamptz[]) \
             WITH ORDINALITY AS i(family_id, presented, next_hash, issued_at, expires_at, \
             client_id, at, n)), \
             f AS (UPDATE refresh_families r SET token_hash = i.next_hash, \
             issued_at = i.issued_at, expires_at = i.expires_at FROM i \
             WHERE r.family_id = i.family_id AND r.token_hash = i.presented \
             AND r.client_id = i.client_id AND r.revoked_at IS NULL AND r.expires_at > i.at \
             RETURNING i.n, r.family_id, r.token_hash, r.client_id, r.user_id, r.scopes, \
             r.session_id, r.grant_info, r.issued_at, r.expires_at, r.revoked_at) \
             SELECT f.*, ",
            user_columns!(),
            " FROM f LEFT JOIN users ON users.id = f.user_id"
        );
        let rows = sqlx::query(sql)
            .bind(column(inputs, |r| r.family_id))
            .bind(column(inputs, |r| r.presented.as_slice()))
            .bind(column(inputs, |r| r.next.token_hash.as_slice()))
            .bind(column(inputs, |r| r.next.issued_at))
            .bind(column(inputs, |r| r.next.expires_at))
            .bind(column(inputs, |r| r.client_id.as_str()))
            .bind(column(inputs, |r| r.now))
            .fetch_all(pool)
            .await
            .map_err(classify)?;
        let mut out: Vec<Option<Rotation>> = inputs.iter().map(|_| None).collect();
        for row in &rows {
            let n: i64 = Reader::new(row, "refresh_families").get("n")?;
            let slot = usize::try_from(n - 1)
                .ok()
                .and_then(|i| out.get_mut(i))
                .ok_or(StorageError::InconsistentRow {
                    table: "refresh_families",
                    column: "n",
                })?;
            *slot = Some(rotated_from_row(row)?);
        }
        Ok(out)
    }

    async fn one(&self, pool: &PgPool, r: &Rotate) -> Result<Option<Rotation>> {
        let sql = concat!(
            "WITH f AS (UPDATE refresh_families SET token_hash = $3, issued_at = $4, \
             expires_at = $5 WHERE family_id = $1",
            current!(),
            rotated!()
        );
        let by_family = sqlx::query(sql).bind(r.family_id);
        rotate_one(pool, by_family, &r.presented, &r.client_id, &r.next, r.now).await
    }
}

/// A new family (a code redeemed for a refresh token), as a [`Job`]:
/// batched like [`Rotations`]. A batch holding a bad row (a duplicate id,
/// a client deleted meanwhile) fails whole and is retried row by row.
pub(super) struct FamilyInserts;

#[async_trait]
impl Job for FamilyInserts {
    type Input = RefreshToken;
    type Output = ();

    async fn many(&self, pool: &PgPool, inputs: &[RefreshToken]) -> Result<Vec<()>> {
        // Arrays of arrays flatten in `unnest`: each row's scopes travel
        // as a JSON array instead.
        let scopes = inputs
            .iter()
            .map(|t| json(&t.scopes))
            .collect::<Result<Vec<_>>>()?;
        let grants = inputs
            .iter()
            .map(|t| json(&t.grant))
            .collect::<Result<Vec<_>>>()?;
        sqlx::query(
            "INSERT INTO refresh_families (family_id, token_hash, client_id, user_id, scopes, \
             session_id, grant_info, issued_at, expires_at, revoked_at) \
             SELECT family_id, token_hash, client_id, user_id, \
             ARRAY(SELECT jsonb_array_elements_text(scopes)), session_id, grant_info, \
             issued_at, expires_at, revoked_at \
             FROM unnest($1::uuid[], $2::bytea[], $3::text[], $4::uuid[], $5::jsonb[], \
             $6::text[], $7::jsonb[], $8::timestamptz[], $9::timestamptz[], $10::timestamptz[]) \
             AS i(family_id, token_hash, client_id, user_id, scopes, session_id, grant_info, \
             issued_at, expires_at, revoked_at)",
        )
        .bind(column(inputs, |t| t.family_id))
        .bind(column(inputs, |t| t.token_hash.as_slice()))
        .bind(column(inputs, |t| t.client_id.as_str()))
        .bind(column(inputs, |t| t.user_id))
        .bind(scopes)
        .bind(column(inputs, |t| t.session_id.as_deref()))
        .bind(grants)
        .bind(column(inputs, |t| t.issued_at))
        .bind(column(inputs, |t| t.expires_at))
        .bind(column(inputs, |t| t.revoked_at))
        .execute(pool)
        .await
        .map_err(classify)?;
        Ok(inputs.iter().map(|_| ()).collect())
    }

    async fn one(&self, pool: &PgPool, t: &RefreshToken) -> Result<()> {
        sqlx::query(
            "INSERT INTO refresh_families (family_id, token_hash, client_id, user_id, scopes, \
             session_id, grant_info, issued_at, expires_at, revoked_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(t.family_id)
        .bind(t.token_hash.as_slice())
        .bind(&t.client_id)
        .bind(t.user_id)
        .bind(&t.scopes)
        .bind(&t.session_id)
        .bind(json(&t.grant)?)
        .bind(t.issued_at)
        .bind(t.expires_at)
        .bind(t.revoked_at)
        .execute(pool)
        .await
        .map_err(classify)?;
        Ok(())
    }
}

impl PgStore {
    /// A rotation of a token from before families: found by its digest.
    async fn rotate_legacy(
        &self,
        presented: &[u8],
        client_id: &str,
        next: &Successor,
        now: OffsetDateTime,
    ) -> Result<Option<Rotation>> {
        let sql = concat!(
            "WITH f AS (UPDATE refresh_families SET token_hash = $3, issued_at = $4, \
             expires_at = $5 WHERE family_id = \
             (SELECT family_id FROM refresh_legacy_tokens WHERE token_hash = $1)",
            current!(),
            rotated!()
        );
        let by_digest = sqlx::query(sql).bind(presented);
        rotate_one(&self.pool, by_digest, presented, client_id, next, now).await
    }
}

/// Runs a one-family rotation statement whose `$1` (how the family is
/// found) is bound already: binds the rest (see [`current!`]) and reads
/// the answer.
async fn rotate_one<'q>(
    pool: &PgPool,
    query: Query<'q, Postgres, PgArguments>,
    presented: &'q [u8],
    client_id: &'q str,
    next: &'q Successor,
    now: OffsetDateTime,
) -> Result<Option<Rotation>> {
    let row = query
        .bind(presented)
        .bind(next.token_hash.as_slice())
        .bind(next.issued_at)
        .bind(next.expires_at)
        .bind(client_id)
        .bind(now)
        .fetch_optional(pool)
        .await
        .map_err(classify)?;
    row.as_ref().map(rotated_from_row).transpose()
}

#[async_trait]
impl RefreshTokenRepo for PgStore {
    #[tracing::instrument(name = "db.refresh.insert_refresh_token", skip_all, fields(db.system = "postgresql"))]
    async fn insert_refresh_token(&self, t: &RefreshToken) -> Result<()> {
        self.family_inserts.submit(t.clone()).await
    }

    #[tracing::instrument(name = "db.refresh.refresh_token", skip_all, fields(db.system = "postgresql"))]
    async fn refresh_token(&self, key: RefreshKey<'_>) -> Result<Option<RefreshToken>> {
        let sql = concat!(
            "SELECT ",
            columns!(),
            " FROM refresh_families WHERE family_id = ",
            family_of!()
        );
        let (family_id, presented) = key_params(key);
        let row = sqlx::query(sql)
            .bind(family_id)
            .bind(presented)
            .fetch_optional(&self.pool)
            .await
            .map_err(classify)?;
        let family = row.as_ref().map(family_from_row).transpose()?;
        Ok(family.map(|f| f.seen_as(presented)))
    }

    /// A token that was spent or revoked reports `Reused` (and revokes its
    /// family) even when it has also expired: a replay is a replay. Only an
    /// unspent, unrevoked, expired token is `Unknown`.
    #[tracing::instrument(name = "db.refresh.rotate_refresh_token", skip_all, fields(db.system = "postgresql"))]
    async fn rotate_refresh_token(
        &self,
        key: RefreshKey<'_>,
        client_id: &str,
        next: &Successor,
        now: OffsetDateTime,
    ) -> Result<Rotation> {
        let (family_id, presented) = key_params(key);
        let rotated = match family_id {
            // The usual case: a token that names its family, batched with
            // the rotations running alongside it (see `Rotate`).
            Some(family_id) => {
                self.rotations
                    .submit(Rotate {
                        family_id,
                        presented: presented.to_vec(),
                        client_id: client_id.to_owned(),
                        next: next.clone(),
                        now,
                    })
                    .await?
            }
            None => self.rotate_legacy(presented, client_id, next, now).await?,
        };
        if let Some(rotated) = rotated {
            return Ok(rotated);
        }
        // Not current. A separate statement, so it sees what a racing
        // rotation committed while the one above waited for its lock: if the
        // token was spent or revoked, it is a replay, and the whole family
        // (the racing winner's successor included) is revoked.
        let seen = sqlx::query(concat!(
            "WITH seen AS (SELECT family_id, token_hash <> $2 OR revoked_at IS NOT NULL \
             AS spent FROM refresh_families WHERE family_id = ",
            family_of!(),
            " AND client_id = $3), \
             revoked AS (UPDATE refresh_families SET revoked_at = $4 WHERE family_id = \
             (SELECT family_id FROM seen WHERE spent) AND revoked_at IS NULL) \
             SELECT family_id, spent FROM seen"
        ))
        .bind(family_id)
        .bind(presented)
        .bind(client_id)
        .bind(now)
        .fetch_optional(&self.pool)
        .await
        .map_err(classify)?;
        let Some(row) = seen else {
            return Ok(Rotation::Unknown);
        };
        let r = Reader::new(&row, "refresh_families");
        if !r.get::<bool>("spent")? {
            // Expired unspent.
            return Ok(Rotation::Unknown);
        }
        Ok(Rotation::Reused {
            family_id: r.get("family_id")?,
        })
    }

    /// Counts the families this call revoked (those not revoked before).
    #[tracing::instrument(name = "db.refresh.revoke_refresh_family", skip_all, fields(db.system = "postgresql"))]
    async fn revoke_refresh_family(&self, family_id: Uuid, at: OffsetDateTime) -> Result<u64> {
        let done = sqlx::query(
            "UPDATE refresh_families SET revoked_at = $1 WHERE family_id = $2 AND revoked_at IS NULL",
        )
        .bind(at)
        .bind(family_id)
        .execute(&self.pool)
        .await
        .map_err(classify)?;
        Ok(done.rows_affected())
    }

    #[tracing::instrument(name = "db.refresh.revoke_refresh_by_session", skip_all, fields(db.system = "postgresql"))]
    async fn revoke_refresh_by_session(&self, session_id: &str, at: OffsetDateTime) -> Result<u64> {
        let done = sqlx::query(
            "UPDATE refresh_families SET revoked_at = $1 WHERE session_id = $2 AND revoked_at IS NULL",
        )
        .bind(at)
        .bind(session_id)
        .execute(&self.pool)
        .await
        .map_err(classify)?;
        Ok(done.rows_affected())
    }

    #[tracing::instrument(name = "db.refresh.revoke_refresh_by_user", skip_all, fields(db.system = "postgresql"))]
    async fn revoke_refresh_by_user(&self, user_id: Uuid, at: OffsetDateTime) -> Result<u64> {
        let done = sqlx::query(
            "UPDATE refresh_families SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
        )
        .bind(at)
        .bind(user_id)
        .execute(&self.pool)
        .await
        .map_err(classify)?;
        Ok(done.rows_affected())
    }

    #[tracing::instrument(name = "db.refresh.delete_expired_refresh_tokens", skip_all, fields(db.system = "postgresql"))]
    async fn delete_expired_refresh_tokens(&self, now: OffsetDateTime) -> Result<u64> {
        let done = sqlx::query("DELETE FROM refresh_families WHERE expires_at < $1")
            .bind(now)
            .execute(&self.pool)
            .await
            .map_err(classify)?;
        Ok(done.rows_affected())
    }
}

#[cfg(test)]
mod tests {
    //! The batched statements themselves: a batch that fails falls back
    //! to one statement per input, which would hide a broken batch
    //! statement from every other test.

    use super::*;
    use crate::repo::{ClientRepo, UserRepo};
    use crate::testing::fixtures::{at, client, refresh_token, user};
    use crate::testing::{Must, pg_store_from_env};

    #[tokio::test]
    async fn batched_inserts_and_rotations_run_as_one_statement() {
        let Some((store, _guard)) = pg_store_from_env().await else {
            return;
        };
        store.create_client(&client("rp")).await.must("client");
        let u = user("somchai");
        store.create_user(&u).await.must("user");
        let families: Vec<Uuid> = (0..3).map(|_| Uuid::new_v4()).collect();
        let tokens: Vec<RefreshToken> = families
            .iter()
            .enumerate()
            .map(|(i, &f)| {
                let owner = (i != 2).then_some(u.id);
                refresh_token(format!("t-{i}").as_bytes(), f, "rp", owner)
            })
            .collect();
        let answers = FamilyInserts.many(&store.pool, &tokens).await;
        assert_eq!(answers.must("batched insert").len(), 3);
        let again = FamilyInserts.many(&store.pool, &tokens[..1]).await;
        assert!(
            matches!(again, Err(StorageError::AlreadyExists { .. })),
            "a duplicate fails the batch: {again:?}"
        );

        let rotate = |i: usize, presented: &str| Rotate {
            family_id: families[i],
            presented: presented.as_bytes().to_vec(),
            client_id: "rp".to_owned(),
            next: Successor {
                token_hash: format!("n-{i}").into_bytes(),
                issued_at: at(600),
                expires_at: at(90_000),
            },
            now: at(600),
        };
        let inputs = [rotate(2, "t-2"), rotate(0, "t-0"), rotate(1, "wrong")];
        let answers = Rotations
            .many(&store.pool, &inputs)
            .await
            .must("batched rotation");
        let [
            Some(Rotation::Rotated {
                current: c2,
                user: u2,
            }),
            Some(Rotation::Rotated {
                current: c0,
                user: u0,
            }),
            None,
        ] = <[Option<Rotation>; 3]>::try_from(answers).must("three answers")
        else {
            panic!("the answers are not in input order");
        };
        assert_eq!(
            (c2.family_id, c2.token_hash.as_slice()),
            (families[2], &b"n-2"[..])
        );
        assert_eq!(
            (c0.family_id, c0.token_hash.as_slice()),
            (families[0], &b"n-0"[..])
        );
        assert_eq!(c0.scopes, tokens[0].scopes, "scopes survive the JSON trip");
        assert_eq!(c0.grant, tokens[0].grant);
        assert!(u2.is_none(), "a family without a user");
        assert_eq!(u0.must("user").id, u.id);
        let spent = Rotations.many(&store.pool, &[rotate(0, "t-0")]).await;
        assert_eq!(spent.must("rotation").as_slice(), [None], "t-0 is spent");
    }
}
