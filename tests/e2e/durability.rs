//! Issue 2: SIGKILL in the middle of writes loses no acknowledged record and
//! corrupts nothing in the SQLite file.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use sqlx::Connection as _;

use crate::harness::{Options, Pratu, client};

#[tokio::test]
async fn sigkill_during_writes_loses_no_acknowledged_enrollment() {
    let p = Pratu::start().await;
    let url = p.url.clone();
    let terms: Value = client()
        .get(format!("{url}/api/v1/terms"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let version = terms["version"].as_str().unwrap().to_owned();
    // (id, token) of every enrollment whose start was answered.
    let acknowledged = Arc::new(Mutex::new(Vec::<(String, String)>::new()));
    let mut writers = Vec::new();
    for _ in 0..8 {
        let (url, version, acknowledged) = (url.clone(), version.clone(), acknowledged.clone());
        writers.push(tokio::spawn(async move {
            let http = client();
            loop {
                let r = http
                    .post(format!("{url}/api/v1/enrollments"))
                    .json(&json!({"accept_terms": true, "terms_version": version}))
                    .send()
                    .await;
                let Ok(r) = r else { return };
                if r.status() != 201 {
                    continue;
                }
                let Ok(body) = r.json::<Value>().await else {
                    return;
                };
                acknowledged.lock().unwrap().push((
                    body["enrollment_id"].as_str().unwrap().to_owned(),
                    body["enrollment_token"].as_str().unwrap().to_owned(),
                ));
            }
        }));
    }
    // Let writes pile up, then kill without warning.
    while acknowledged.lock().unwrap().len() < 50 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (data_dir, keep) = p.into_data_dir();
    for w in writers {
        let _ = tokio::time::timeout(Duration::from_secs(30), w).await;
    }
    let ids = acknowledged.lock().unwrap().clone();
    assert!(ids.len() >= 50);

    // The file is consistent…
    let mut conn = sqlx::SqliteConnection::connect(&format!(
        "sqlite://{}",
        data_dir.join("pratu.db").display()
    ))
    .await
    .unwrap();
    let check: (String,) = sqlx::query_as("PRAGMA integrity_check")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(check.0, "ok");
    drop(conn);

    // …and a restarted server has every acknowledged enrollment.
    let again = Pratu::start_with(Options {
        data_dir: Some(data_dir),
        ..Options::default()
    })
    .await;
    let http = client();
    for (id, token) in &ids {
        let r = http
            .get(format!("{}/api/v1/enrollments/{id}", again.url))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "acknowledged enrollment {id} was lost");
    }
    drop(keep);
}
