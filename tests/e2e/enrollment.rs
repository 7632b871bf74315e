//! Issue 3, black-box: a citizen enrolls through the JSON API against the
//! real binary, with a registry file the test writes itself and the OTP read
//! from the SMS outbox; the citizen ID never appears in clear in the log.

use serde_json::{Value, json};

use crate::harness::{Options, Pratu, client};

/// Appends the check digit to 12 digits (DOMAIN.md §1).
pub fn with_check_digit(first12: &str) -> String {
    let s: u32 = first12
        .chars()
        .zip((2..=13).rev())
        .map(|(c, w)| c.to_digit(10).unwrap() * w)
        .sum();
    format!("{first12}{}", (11 - s % 11) % 10)
}

/// A fictional citizen in a registry file of the test's own.
pub struct Citizen {
    pub citizen_id: String,
    pub first_name: &'static str,
    pub last_name: &'static str,
    pub birth_date: &'static str,
    pub laser_code: &'static str,
}

pub fn write_registry(dir: &std::path::Path, citizens: &[Citizen]) -> std::path::PathBuf {
    let path = dir.join("registry.csv");
    let mut text =
        String::from("citizen_id,first_name,last_name,birth_date,laser_code,card_status\n");
    for c in citizens {
        crate::leaks::watch_citizen(&c.citizen_id, c.laser_code);
        text.push_str(&format!(
            "{},{},{},{},{},active\n",
            c.citizen_id, c.first_name, c.last_name, c.birth_date, c.laser_code
        ));
    }
    std::fs::write(&path, text).unwrap();
    path
}

/// The newest OTP and reference sent to `phone_e164`, from the outbox.
pub fn read_otp(data_dir: &std::path::Path, phone_e164: &str) -> (String, String) {
    let text = std::fs::read_to_string(data_dir.join("sms-outbox.jsonl")).unwrap();
    let line = text
        .lines()
        .rev()
        // A line another request is still appending is not ours yet.
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        // A code, not a notice of a change (those carry no reference).
        .find(|m| m["to"] == phone_e164 && m["text"].as_str().is_some_and(|t| t.contains("Ref: ")))
        .expect("a code sent to the phone");
    let body = line["text"].as_str().unwrap();
    let code: String = body
        .split_whitespace()
        .find(|w| w.len() == 6 && w.chars().all(|c| c.is_ascii_digit()))
        .unwrap()
        .to_owned();
    crate::leaks::watch_on(data_dir, "OTP", &code);
    let reference = body
        .split("Ref: ")
        .nth(1)
        .unwrap()
        .chars()
        .take(4)
        .collect();
    (code, reference)
}

/// Drives the JSON API from consent to confirm; returns the confirm body.
pub async fn enroll(p: &Pratu, c: &Citizen, username: &str, password: &str, phone: &str) -> Value {
    crate::leaks::watch("password", password);
    let http = client();
    let api = |path: &str| format!("{}/api/v1{path}", p.url);
    let terms: Value = http
        .get(api("/terms"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let version = terms["version"].as_str().unwrap();
    let r = http
        .post(api("/enrollments"))
        .json(&json!({"accept_terms": true, "terms_version": version}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let created: Value = r.json().await.unwrap();
    assert_eq!(created["next"], "citizen_id");
    let id = created["enrollment_id"].as_str().unwrap().to_owned();
    let token = created["enrollment_token"].as_str().unwrap().to_owned();
    crate::leaks::watch("enrollment token", &token);
    let step = |path: &str| api(&format!("/enrollments/{id}{path}"));

    let r = http
        .put(step("/citizen-id"))
        .bearer_auth(&token)
        .json(&json!({"citizen_id": c.citizen_id}))
        .send()
        .await
        .unwrap();
    assert!(
        r.status().is_success(),
        "citizen-id: {}",
        r.text().await.unwrap()
    );
    let r = http
        .put(step("/identity"))
        .bearer_auth(&token)
        .json(
            &json!({"method": "laser_code", "first_name": c.first_name, "last_name": c.last_name,
                      "birth_date": c.birth_date, "laser_code": c.laser_code}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "identity: {}", r.text().await.unwrap());
    let r = http
        .put(step("/account"))
        .bearer_auth(&token)
        .json(&json!({"username": username, "password": password}))
        .send()
        .await
        .unwrap();
    assert!(
        r.status().is_success(),
        "account: {}",
        r.text().await.unwrap()
    );
    let r = http
        .post(step("/phone"))
        .bearer_auth(&token)
        .json(&json!({"phone": phone}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202, "phone: {}", r.text().await.unwrap());
    let sent: Value = r.json().await.unwrap();
    let e164 = format!("+66{}", &phone[1..]);
    let (code, reference) = read_otp(&p.data_dir, &e164);
    assert_eq!(sent["ref"], reference.as_str());
    let r = http
        .post(step("/phone/verify"))
        .bearer_auth(&token)
        .json(&json!({"code": code}))
        .send()
        .await
        .unwrap();
    assert!(
        r.status().is_success(),
        "verify: {}",
        r.text().await.unwrap()
    );
    let review: Value = http
        .get(step(""))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let review_text = review.to_string();
    assert!(
        !review_text.contains(&c.citizen_id),
        "review shows the citizen ID in clear"
    );
    let r = http
        .post(step("/confirm"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "confirm: {}", r.text().await.unwrap());
    r.json().await.unwrap()
}

pub fn somchai() -> Citizen {
    Citizen {
        citizen_id: with_check_digit("110170020703"),
        first_name: "สมชาย",
        last_name: "ใจดี",
        birth_date: "1987-01-01",
        laser_code: "JT1-2321456-32",
    }
}

#[tokio::test]
async fn a_citizen_enrolls_through_the_json_api_and_no_citizen_id_reaches_the_log() {
    let tmp = tempfile::tempdir().unwrap();
    let citizen = somchai();
    let registry = write_registry(tmp.path(), &[Citizen { ..somchai() }]);
    let p = Pratu::start_with(
        Options::default().env("PRATU_PROOFING__REGISTRY_FILE", registry.to_str().unwrap()),
    )
    .await;
    let done = enroll(&p, &citizen, "somchai87", "Khaosan7Lamp", "0812345678").await;
    assert_eq!(done["username"], "somchai87");
    assert_eq!(done["status"], "registered");

    // Enrolling the same citizen again is refused, once the card is proofed.
    let http = client();
    let terms: Value = http
        .get(format!("{}/api/v1/terms", p.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let created: Value = http
        .post(format!("{}/api/v1/enrollments", p.url))
        .json(&json!({"accept_terms": true, "terms_version": terms["version"]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let again = format!(
        "{}/api/v1/enrollments/{}",
        p.url,
        created["enrollment_id"].as_str().unwrap()
    );
    let token = created["enrollment_token"].as_str().unwrap();
    let r = http
        .put(format!("{again}/citizen-id"))
        .bearer_auth(token)
        .json(&json!({"citizen_id": citizen.citizen_id}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = http
        .put(format!("{again}/identity"))
        .bearer_auth(token)
        .json(
            &json!({"method": "laser_code", "first_name": citizen.first_name,
                      "last_name": citizen.last_name, "birth_date": citizen.birth_date,
                      "laser_code": citizen.laser_code}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let problem: Value = r.json().await.unwrap();
    assert_eq!(problem["code"], "citizen_id_taken");
    assert!(!problem.to_string().contains(&citizen.citizen_id));

    let log = p.log();
    assert!(
        !log.contains(&citizen.citizen_id),
        "the citizen ID leaked into the log"
    );
    assert!(
        !log.contains("2321456"),
        "the laser code leaked into the log"
    );
}
