//! The enrollment scenario: the whole JSON API flow of DESIGN.md, one
//! registry row per enrollment, the OTP read from the SMS outbox.

use std::path::Path;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use http::{HeaderValue, Method};
use serde::Deserialize;
use serde_json::json;

use crate::conn::Conn;
use crate::ctx::Ctx;
use crate::error::LoadError;
use crate::flow::random_token;
use crate::outbox::Outbox;
use crate::registry::{self, Row};

/// What the enrolling virtual users share.
#[derive(Debug)]
pub struct EnrollShared {
    api: String,
    terms_version: String,
    rows: Vec<Row>,
    next_row: AtomicUsize,
    seq: AtomicU64,
    /// Distinguishes this run's usernames and phone numbers from earlier ones.
    tag: u64,
    outbox: Outbox,
}

#[derive(Deserialize)]
struct Terms {
    version: String,
}

#[derive(Deserialize)]
struct Created {
    enrollment_id: String,
    /// Every later step presents it as `Authorization: Bearer`.
    enrollment_token: String,
}

impl EnrollShared {
    /// `skip`: rows used by earlier runs against the same server (a
    /// citizen ID enrolls once).
    pub async fn prepare(
        conn: &mut Conn,
        registry: &Path,
        outbox: &Path,
        skip: usize,
    ) -> Result<Self, LoadError> {
        let api = conn.target().path("/api/v1");
        let terms: Terms = conn
            .get(&format!("{api}/terms"))
            .await?
            .json("terms", 200)?;
        let rows = registry::read(registry)?;
        if rows.is_empty() {
            return Err(LoadError::setup("the registry has no active rows"));
        }
        Ok(Self {
            api,
            terms_version: terms.version,
            rows,
            next_row: AtomicUsize::new(skip),
            seq: AtomicU64::new(0),
            tag: crate::random::u64() % 1_000_000,
            outbox: Outbox::open(outbox),
        })
    }

    /// The index of the next unused row (what the next run skips).
    pub fn next_unused(&self) -> usize {
        self.next_row.load(Ordering::Relaxed).min(self.rows.len())
    }

    /// Rows not used yet in this run.
    pub fn remaining(&self) -> usize {
        self.rows
            .len()
            .saturating_sub(self.next_row.load(Ordering::Relaxed))
    }
}

/// One enrollment from terms to confirmation.
pub async fn enroll_one(conn: &mut Conn, ctx: &Ctx) -> Result<(), LoadError> {
    let s = ctx
        .enroll
        .as_ref()
        .ok_or_else(|| LoadError::setup("enrollment context missing"))?;
    let row = s
        .rows
        .get(s.next_row.fetch_add(1, Ordering::Relaxed))
        .ok_or_else(|| LoadError::protocol("the registry is used up: generate a bigger one"))?;
    let n = s.seq.fetch_add(1, Ordering::Relaxed);
    // 09 + 8 digits: the run's tag and a counter keep per-phone limits apart.
    let local = format!(
        "09{:02}{:06}",
        s.tag % 100,
        (s.tag / 100 * 7919 + n) % 1_000_000
    );
    let e164 = format!("+66{}", &local[1..]);
    let username = format!("lg{}x{n}", s.tag);
    let password = format!("Ld{}9", random_token(9).replace(['-', '_'], "x"));

    let created: Created = conn
        .json(
            Method::POST,
            &format!("{}/enrollments", s.api),
            &json!({"accept_terms": true, "terms_version": s.terms_version}),
        )
        .await?
        .json("create enrollment", 201)?;
    let step = |p: &str| format!("{}/enrollments/{}{p}", s.api, created.enrollment_id);
    let mut auth = HeaderValue::from_str(&format!("Bearer {}", created.enrollment_token))
        .map_err(|_| LoadError::protocol("the enrollment token is not a header value"))?;
    auth.set_sensitive(true);
    let auth = &auth;
    let ok = |what: &'static str, r: crate::conn::Response| {
        if (200..300).contains(&r.status) {
            Ok(())
        } else {
            Err(LoadError::status(what, r.status, &r.body))
        }
    };
    ok(
        "citizen-id",
        conn.json_auth(
            Method::PUT,
            &step("/citizen-id"),
            auth,
            &json!({"citizen_id": row.citizen_id}),
        )
        .await?,
    )?;
    conn.json_auth(
        Method::PUT,
        &step("/identity"),
        auth,
        &json!({"method": "laser_code", "first_name": row.first_name, "last_name": row.last_name,
                "birth_date": row.birth_date, "laser_code": row.laser_code}),
    )
    .await?
    .expect("identity", 200)?;
    ok(
        "account",
        conn.json_auth(
            Method::PUT,
            &step("/account"),
            auth,
            &json!({"username": username, "password": password}),
        )
        .await?,
    )?;
    conn.json_auth(
        Method::POST,
        &step("/phone"),
        auth,
        &json!({"phone": local}),
    )
    .await?
    .expect("phone", 202)?;
    let code = s.outbox.code_for(&e164).await?;
    ok(
        "phone/verify",
        conn.json_auth(
            Method::POST,
            &step("/phone/verify"),
            auth,
            &json!({"code": code}),
        )
        .await?,
    )?;
    conn.get_auth(&step(""), auth)
        .await?
        .expect("review", 200)?;
    conn.json_auth(Method::POST, &step("/confirm"), auth, &json!({}))
        .await?
        .expect("confirm", 201)?;
    Ok(())
}
