//! Issue 18, black-box: `pratu backup` while the server runs, restored as
//! deploy/README.md says into a fresh server, which then serves the same
//! users, clients and signing keys — and nothing written after the backup.

use std::path::Path;

use serde_json::Value;

use crate::harness::{Options, Pratu, cli_json, client, run_cli};
use crate::protocol::{CB, authorize_url, pkce, token};
use crate::services::PgDb;
use crate::sso::Browser;

/// `staff1` / `Mango7Sticky` and a first-party client, through the CLI with
/// the server's environment `envs`.
pub async fn user_and_client(
    data_dir: &Path,
    envs: &[(&str, &str)],
    name: &str,
) -> (String, String) {
    let out = run_cli(
        data_dir,
        envs,
        &[
            "user",
            "create",
            "--username",
            name,
            "--given-name",
            "Somsri",
            "--family-name",
            "Dee",
            "--password-stdin",
        ],
        Some("Mango7Sticky\n"),
    )
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = cli_json(
        data_dir,
        envs,
        &[
            "client",
            "create",
            "--name",
            "App",
            "--redirect-uri",
            CB,
            "--first-party",
            "--json",
        ],
        None,
    )
    .await;
    (
        v["client_id"].as_str().unwrap().to_owned(),
        v["client_secret"].as_str().unwrap().to_owned(),
    )
}

/// A full sign-in of `username` to the client, ending in an ID token.
async fn signs_in(p: &Pratu, (id, secret): &(String, String), username: &str) -> bool {
    let (verifier, challenge) = pkce();
    let b = Browser::new();
    let page = b.get(&authorize_url(p, id, &challenge, "")).await;
    if page.status != 200 {
        return false;
    }
    let back = b.sign_in(page, &p.url, username, "Mango7Sticky").await;
    let Some(code) = back.redirect_param("code") else {
        return false;
    };
    let (status, body) = token(
        p,
        id,
        secret,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", CB),
            ("code_verifier", &verifier),
        ],
    )
    .await;
    status == 200 && body["id_token"].is_string()
}

async fn kids(p: &Pratu) -> Vec<String> {
    let jwks: Value = client()
        .get(format!("{}/jwks", p.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut v: Vec<String> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect();
    v.sort();
    v
}

fn copy_secrets(from: &Path, to: &Path) {
    let (src, dst) = (from.join("secrets"), to.join("secrets"));
    std::fs::create_dir_all(&dst).unwrap();
    for f in std::fs::read_dir(&src).unwrap() {
        let f = f.unwrap();
        std::fs::copy(f.path(), dst.join(f.file_name())).unwrap();
    }
}

async fn client_exists(data_dir: &Path, envs: &[(&str, &str)], id: &str) -> bool {
    run_cli(data_dir, envs, &["client", "show", id, "--json"], None)
        .await
        .status
        .success()
}

#[tokio::test]
async fn an_sqlite_backup_taken_online_restores_users_clients_and_keys() {
    let live = Pratu::start().await;
    let app = user_and_client(&live.data_dir, &[], "staff1").await;
    assert!(signs_in(&live, &app, "staff1").await);
    let keys = kids(&live).await;

    let backups = tempfile::tempdir().unwrap();
    let file = backups.path().join("pratu-backup.db");
    let out = run_cli(
        &live.data_dir,
        &[],
        &["backup", "--to", file.to_str().unwrap()],
        None,
    )
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("backup written"));
    // Never over an existing file.
    let again = run_cli(
        &live.data_dir,
        &[],
        &["backup", "--to", file.to_str().unwrap()],
        None,
    )
    .await;
    assert!(!again.status.success());

    // Written after the backup: not in the restored server.
    let later = user_and_client(&live.data_dir, &[], "staff2").await;

    // deploy/README.md: the backup becomes `<data_dir>/pratu.db`; the
    // secret keys come from their own backup.
    let fresh = tempfile::tempdir().unwrap();
    std::fs::copy(&file, fresh.path().join("pratu.db")).unwrap();
    copy_secrets(&live.data_dir, fresh.path());
    live.terminate().await;
    let restored = Pratu::start_with(Options {
        data_dir: Some(fresh.path().to_path_buf()),
        ..Options::default()
    })
    .await;
    assert_eq!(kids(&restored).await, keys, "the same signing keys");
    assert!(
        signs_in(&restored, &app, "staff1").await,
        "same user and client"
    );
    assert!(client_exists(fresh.path(), &[], &app.0).await);
    assert!(!client_exists(fresh.path(), &[], &later.0).await);
    assert!(!signs_in(&restored, &app, "staff2").await);
}

#[tokio::test]
async fn a_postgres_backup_restores_into_a_fresh_database() {
    let Some(db) = PgDb::create().await else {
        return;
    };
    let envs = [("PRATU_DATABASE_URL", db.url.as_str())];
    let live = Pratu::start_with(Options::default().env("PRATU_DATABASE_URL", &db.url)).await;
    let app = user_and_client(&live.data_dir, &envs, "staff1").await;
    let keys = kids(&live).await;

    let backups = tempfile::tempdir().unwrap();
    let file = backups.path().join("pratu.dump");
    let out = run_cli(
        &live.data_dir,
        &envs,
        &["backup", "--to", file.to_str().unwrap()],
        None,
    )
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let later = user_and_client(&live.data_dir, &envs, "staff2").await;

    let fresh_db = PgDb::create().await.unwrap();
    let restore = tokio::process::Command::new("pg_restore")
        .arg("--no-owner")
        .arg("--dbname")
        .arg(&fresh_db.url)
        .arg(&file)
        .output()
        .await
        .unwrap();
    assert!(
        restore.status.success(),
        "{}",
        String::from_utf8_lossy(&restore.stderr)
    );
    let fresh = tempfile::tempdir().unwrap();
    copy_secrets(&live.data_dir, fresh.path());
    live.terminate().await;
    db.drop_db().await;

    let envs = [("PRATU_DATABASE_URL", fresh_db.url.as_str())];
    let restored = Pratu::start_with(Options {
        data_dir: Some(fresh.path().to_path_buf()),
        envs: vec![("PRATU_DATABASE_URL".into(), fresh_db.url.clone())],
    })
    .await;
    assert_eq!(kids(&restored).await, keys, "the same signing keys");
    assert!(
        signs_in(&restored, &app, "staff1").await,
        "same user and client"
    );
    assert!(client_exists(fresh.path(), &envs, &app.0).await);
    assert!(!client_exists(fresh.path(), &envs, &later.0).await);
    restored.terminate().await;
    fresh_db.drop_db().await;
}
