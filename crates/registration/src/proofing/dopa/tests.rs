//! The client against a local stub that answers like the real service.

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap as AxumHeaders, StatusCode};
use axum::response::IntoResponse;
use axum::routing::post;

use super::*;
use crate::domain::{BirthDate, CitizenId, LaserCode, ThaiName};

#[derive(Debug, Clone, Copy)]
enum Mode {
    Answer(i64, &'static str),
    Padded,
    IsError,
    Fault,
    Garbage,
    Hang,
    /// Fails once, then answers valid.
    FlakyOnce,
}

#[derive(Debug)]
struct Stub {
    mode: Mutex<Mode>,
    calls: AtomicUsize,
    last_body: Mutex<String>,
    last_content_type: Mutex<String>,
    last_token: Mutex<String>,
}

fn envelope(inner: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema"><soap:Body><CheckCardByLaserResponse xmlns="http://tempuri.org/"><CheckCardByLaserResult>{inner}</CheckCardByLaserResult></CheckCardByLaserResponse></soap:Body></soap:Envelope>"#
    )
}

async fn handle(
    State(stub): State<Arc<Stub>>,
    headers: AxumHeaders,
    body: String,
) -> axum::response::Response {
    let n = stub.calls.fetch_add(1, Ordering::SeqCst);
    *stub.last_body.lock().unwrap() = body;
    *stub.last_content_type.lock().unwrap() = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    *stub.last_token.lock().unwrap() = headers
        .get("token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let mode = *stub.mode.lock().unwrap();
    let xml = [("content-type", "application/soap+xml; charset=utf-8")];
    match mode {
        Mode::Answer(code, desc) => (
            xml,
            envelope(&format!("<IsError>false</IsError><ErrorMessage /><Code>{code}</Code><Desc>{desc}</Desc>")),
        )
            .into_response(),
        Mode::Padded => (
            xml,
            envelope("\r\n   <IsError>\r\n  False  </IsError>\r\n <ErrorMessage>   </ErrorMessage>\r\n   <Code>  0  </Code>\r\n  <Desc>  สถานะปกติ  </Desc>\r\n"),
        )
            .into_response(),
        Mode::IsError => (
            xml,
            envelope("<IsError>true</IsError><ErrorMessage>Unauthorized</ErrorMessage><Code>0</Code><Desc></Desc>"),
        )
            .into_response(),
        Mode::Fault => (
            StatusCode::INTERNAL_SERVER_ERROR,
            xml,
            r#"<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body><soap:Fault><soap:Code><soap:Value>soap:Receiver</soap:Value></soap:Code><soap:Reason><soap:Text xml:lang="en">Server was unable to process request.</soap:Text></soap:Reason></soap:Fault></soap:Body></soap:Envelope>"#,
        )
            .into_response(),
        Mode::Garbage => (StatusCode::BAD_GATEWAY, "<html><body>502 Bad Gateway</body></html>").into_response(),
        Mode::Hang => {
            tokio::time::sleep(Duration::from_secs(30)).await;
            StatusCode::OK.into_response()
        }
        Mode::FlakyOnce if n == 0 => StatusCode::SERVICE_UNAVAILABLE.into_response(),
        Mode::FlakyOnce => (
            xml,
            envelope("<IsError>false</IsError><Code>0</Code><Desc>สถานะปกติ</Desc>"),
        )
            .into_response(),
    }
}

async fn spawn_stub(mode: Mode) -> (Arc<Stub>, String) {
    let stub = Arc::new(Stub {
        mode: Mutex::new(mode),
        calls: AtomicUsize::new(0),
        last_body: Mutex::new(String::new()),
        last_content_type: Mutex::new(String::new()),
        last_token: Mutex::new(String::new()),
    });
    let app = Router::new()
        .route("/CheckCardStatus/CheckCardService.asmx", post(handle))
        .with_state(stub.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (
        stub,
        format!("http://{addr}/CheckCardStatus/CheckCardService.asmx"),
    )
}

fn client(endpoint: &str, retries: u32) -> DopaClient {
    let mut headers = HeaderMap::new();
    headers.insert("token", HeaderValue::from_static("agency-token"));
    DopaClient::with_settings(DopaSettings {
        endpoint: endpoint.to_owned(),
        headers,
        timeout: Duration::from_millis(300),
        connect_timeout: Duration::from_millis(300),
        retries,
        retry_backoff: Duration::from_millis(1),
    })
    .unwrap()
}

fn request() -> ProofingRequest {
    ProofingRequest {
        citizen_id: CitizenId::parse("1234567890121").unwrap(),
        first_name: ThaiName::parse("สมชาย").unwrap(),
        last_name: ThaiName::parse("ใจดี").unwrap(),
        birth_date: BirthDate::parse("1987-01-01", time::Date::MAX).unwrap(),
        laser_code: LaserCode::parse("JT1-2321456-32").unwrap(),
    }
}

#[tokio::test]
async fn a_valid_card_is_verified_and_the_request_is_soap_1_2() {
    let (stub, url) = spawn_stub(Mode::Answer(0, "สถานะปกติ")).await;
    let outcome = client(&url, 2).check(&request()).await;
    assert_eq!(outcome, ProofingOutcome::Verified { code: "0".into() });
    assert_eq!(stub.calls.load(Ordering::SeqCst), 1);
    let body = stub.last_body.lock().unwrap().clone();
    assert!(body.contains("<PID>1234567890121</PID>"));
    assert!(body.contains("<BirthDay>25300101</BirthDay>"));
    assert!(body.contains("<Laser>JT1232145632</Laser>"));
    let ct = stub.last_content_type.lock().unwrap().clone();
    assert!(
        ct.starts_with("application/soap+xml; charset=utf-8"),
        "{ct}"
    );
    assert_eq!(*stub.last_token.lock().unwrap(), "agency-token");
}

#[tokio::test]
async fn padded_envelopes_are_read() {
    let (_, url) = spawn_stub(Mode::Padded).await;
    assert_eq!(
        client(&url, 0).check(&request()).await,
        ProofingOutcome::Verified { code: "0".into() }
    );
}

#[tokio::test]
async fn mismatched_data_and_unknown_laser_codes_are_not_verified_and_not_retried() {
    let (stub, url) = spawn_stub(Mode::Answer(4, "สถานะไม่ปกติ =&gt; ข้อมูลไม่ตรง")).await;
    assert_eq!(
        client(&url, 2).check(&request()).await,
        ProofingOutcome::NotVerified {
            reason: NotVerifiedReason::Mismatch,
            code: "4".into()
        }
    );
    assert_eq!(stub.calls.load(Ordering::SeqCst), 1);
    *stub.mode.lock().unwrap() = Mode::Answer(4, "สถานะไม่ปกติ =&gt; ไม่พบเลข Laser จาก PID นี้");
    assert_eq!(
        client(&url, 2).check(&request()).await,
        ProofingOutcome::NotVerified {
            reason: NotVerifiedReason::NotFound,
            code: "4".into()
        }
    );
}

#[tokio::test]
async fn a_revoked_card_and_a_missing_field_are_not_verified() {
    let (stub, url) = spawn_stub(Mode::Answer(2, "บัตรสิ้นสภาพการใช้งาน เนื่องจากกรณี บัตรหมดอายุ")).await;
    assert_eq!(
        client(&url, 0).check(&request()).await,
        ProofingOutcome::NotVerified {
            reason: NotVerifiedReason::CardInactive,
            code: "2".into()
        }
    );
    *stub.mode.lock().unwrap() = Mode::Answer(5, "ข้อมูลที่ใช้ในการตรวจสอบไม่ครบ");
    assert_eq!(
        client(&url, 0).check(&request()).await,
        ProofingOutcome::NotVerified {
            reason: NotVerifiedReason::MissingField,
            code: "5".into()
        }
    );
}

#[tokio::test]
async fn faults_errors_and_garbage_are_unavailable_after_bounded_retries() {
    for mode in [Mode::Fault, Mode::IsError, Mode::Garbage] {
        let (stub, url) = spawn_stub(mode).await;
        assert_eq!(
            client(&url, 2).check(&request()).await,
            ProofingOutcome::Unavailable,
            "{mode:?}"
        );
        assert_eq!(stub.calls.load(Ordering::SeqCst), 3, "{mode:?}");
    }
}

#[tokio::test]
async fn a_hanging_service_times_out_as_unavailable() {
    let (stub, url) = spawn_stub(Mode::Hang).await;
    assert_eq!(
        client(&url, 1).check(&request()).await,
        ProofingOutcome::Unavailable
    );
    assert_eq!(stub.calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_transient_failure_is_retried_into_an_answer() {
    let (stub, url) = spawn_stub(Mode::FlakyOnce).await;
    assert_eq!(
        client(&url, 1).check(&request()).await,
        ProofingOutcome::Verified { code: "0".into() }
    );
    assert_eq!(stub.calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn an_unreachable_endpoint_is_unavailable() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let url = format!("http://{addr}/x");
    assert_eq!(
        client(&url, 1).check(&request()).await,
        ProofingOutcome::Unavailable
    );
}

#[test]
fn settings_come_from_config_and_bad_headers_are_refused() {
    let mut c = DopaConfig::default();
    c.headers.insert("Token".into(), "t".into());
    let s = DopaSettings::try_from(&c).unwrap();
    assert_eq!(s.timeout, Duration::from_secs(8));
    assert_eq!(s.retries, 2);
    assert!(s.headers.get("token").unwrap().is_sensitive());
    c.headers.insert("bad header".into(), "t".into());
    assert!(matches!(
        DopaSettings::try_from(&c),
        Err(DopaBuildError::Header(_))
    ));
}
