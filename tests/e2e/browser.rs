//! Headless Chromium through chromedriver (Debian's `chromium` and
//! `chromium-driver`), for the tests that must see pages as a person does.
//! Screenshots go to `target/e2e-screenshots/<test>/NN-step.png`.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::process::{Child, Command};

pub struct Browser {
    pub client: Client,
    _driver: Child,
    _profile: tempfile::TempDir,
    shots: PathBuf,
    count: std::sync::atomic::AtomicUsize,
}

fn required() -> bool {
    std::env::var_os("CI").is_some() || std::env::var_os("PRATU_TEST_REQUIRE_ALL").is_some()
}

impl Browser {
    /// `None` (test skipped) when chromedriver is missing outside CI.
    pub async fn start(test: &str) -> Option<Self> {
        let driver_bin = ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists());
        let Some(driver_bin) = driver_bin else {
            assert!(
                !required(),
                "chromedriver is required in CI (apt-get install chromium-driver)"
            );
            eprintln!("skipped: chromedriver not installed");
            return None;
        };
        let mut driver = Command::new(driver_bin)
            .arg("--port=0")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(driver.stdout.take().unwrap()).lines();
        let port = tokio::time::timeout(Duration::from_secs(30), async {
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(rest) = line.split("started successfully on port ").nth(1) {
                    return rest.trim_end_matches('.').trim().parse::<u16>().ok();
                }
            }
            None
        })
        .await
        .ok()
        .flatten()
        .expect("chromedriver reports its port");
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });

        let profile = tempfile::tempdir().unwrap();
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({
                "binary": "/usr/bin/chromium",
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--window-size=1000,1200",
                    // The pages follow Accept-Language; the flows read Thai.
                    "--lang=th", "--accept-lang=th",
                    format!("--user-data-dir={}", profile.path().display()),
                ],
                "prefs": { "intl.accept_languages": "th" }
            }),
        );
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("a chromium session");
        let shots = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../target/e2e-screenshots")
            .join(test);
        let _ = std::fs::remove_dir_all(&shots);
        std::fs::create_dir_all(&shots).unwrap();
        Some(Self {
            client,
            _driver: driver,
            _profile: profile,
            shots,
            count: std::sync::atomic::AtomicUsize::new(0),
        })
    }

    pub async fn screenshot(&self, step: &str) {
        let n = self.count.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        let png = self.client.screenshot().await.unwrap();
        std::fs::write(self.shots.join(format!("{n:02}-{step}.png")), png).unwrap();
    }

    /// Types into the input whose `<label>` text contains `label`.
    pub async fn fill(&self, label: &str, value: &str) {
        let label_el = self
            .client
            .wait()
            .at_most(Duration::from_secs(15))
            .for_element(Locator::XPath(&format!(
                "//label[contains(normalize-space(.), \"{label}\")]"
            )))
            .await
            .unwrap_or_else(|_| panic!("no label containing {label:?}"));
        let input = match label_el.attr("for").await.unwrap() {
            Some(id) => self.client.find(Locator::Id(&id)).await.unwrap(),
            None => label_el
                .find(Locator::Css("input, select, textarea"))
                .await
                .unwrap(),
        };
        input.clear().await.ok();
        input.send_keys(value).await.unwrap();
    }

    /// Chooses `value` in the `<select>` labelled `label`.
    pub async fn choose(&self, label: &str, value: &str) {
        let label_el = self
            .client
            .wait()
            .at_most(Duration::from_secs(15))
            .for_element(Locator::XPath(&format!(
                "//label[contains(normalize-space(.), \"{label}\")]"
            )))
            .await
            .unwrap_or_else(|_| panic!("no label containing {label:?}"));
        let id = label_el
            .attr("for")
            .await
            .unwrap()
            .expect("label with for=");
        self.client
            .find(Locator::Id(&id))
            .await
            .unwrap()
            .select_by_value(value)
            .await
            .unwrap();
    }

    /// Clicks the label (checkbox or radio) whose text contains `label`.
    pub async fn tick(&self, label: &str) {
        self.client
            .wait()
            .at_most(Duration::from_secs(15))
            .for_element(Locator::XPath(&format!(
                "//label[contains(normalize-space(.), \"{label}\")]"
            )))
            .await
            .unwrap_or_else(|_| panic!("no label containing {label:?}"))
            .click()
            .await
            .unwrap();
    }

    /// Clicks the button (or submit input) whose text contains `text`.
    pub async fn press(&self, text: &str) {
        let el = self
            .client
            .wait()
            .at_most(Duration::from_secs(15))
            .for_element(Locator::XPath(&format!(
                "//button[contains(normalize-space(.), \"{text}\")] | //input[@type='submit' and contains(@value, \"{text}\")]"
            )))
            .await
            .unwrap_or_else(|_| panic!("no button {text:?}"));
        el.click().await.unwrap();
    }

    /// The page's text; retried while a navigation replaces the page under
    /// the read (stale element).
    pub async fn text(&self) -> String {
        for _ in 0..50 {
            let body = self.client.find(Locator::Css("body")).await;
            if let Ok(text) = match body {
                Ok(el) => el.text().await,
                Err(e) => Err(e),
            } {
                return text;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the page text could not be read")
    }

    pub async fn close(self) {
        let _ = self.client.close().await;
    }
}
