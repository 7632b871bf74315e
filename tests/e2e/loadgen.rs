//! Issue 7, smoke only: `pratu-load`'s scenarios run against the real
//! binary for a second each without a single error. Throughput is measured
//! by `pratu-load bench`, never asserted here.

use std::time::Duration;

use pratu_loadgen::{Ctx, CtxOptions, RunOptions, Scenario, registry, report, run};
use serde_json::Value;

use crate::harness::{Options, Pratu, cli_json};

const REDIRECT: &str = "http://127.0.0.1:9/callback";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn load_generator_scenarios_run_without_errors() {
    let regdir = tempfile::tempdir().unwrap();
    let registry_csv = regdir.path().join("registry.csv");
    registry::write(&registry_csv, &registry::generate(500)).unwrap();
    // The load comes from one address: lift the per-IP abuse limits, as
    // `pratu-load bench` does. On a fast machine two virtual users enrol
    // more than the default 300 per hour within the one-second run.
    let mut options = Options::default().env(
        "PRATU_PROOFING__REGISTRY_FILE",
        registry_csv.to_str().unwrap(),
    );
    for (key, value) in pratu_loadgen::bench::lifted_per_ip_limits() {
        options = options.env(&key, value);
    }
    let p = Pratu::start_with(options).await;

    let client: Value = cli_json(
        &p.data_dir,
        &[],
        &[
            "client",
            "create",
            "--name",
            "load",
            "--redirect-uri",
            REDIRECT,
            "--grant-type",
            "authorization_code",
            "--grant-type",
            "refresh_token",
            "--grant-type",
            "client_credentials",
            "--scope",
            "openid",
            "--scope",
            "profile",
            "--json",
        ],
        None,
    )
    .await;
    // One account per virtual user: Pratu checks one password attempt per
    // account at a time.
    let mut users = Vec::new();
    for name in ["loaduser0", "loaduser1"] {
        cli_json(
            &p.data_dir,
            &[],
            &[
                "user",
                "create",
                "--username",
                name,
                "--given-name",
                "Load",
                "--family-name",
                "User",
                "--password-stdin",
            ],
            Some("LoadPass123"),
        )
        .await;
        users.push((name.to_owned(), "LoadPass123".to_owned()));
    }

    let opts = CtxOptions {
        issuer: p.url.clone(),
        client_id: client["client_id"].as_str().map(str::to_owned),
        client_secret: client["client_secret"].as_str().map(str::to_owned),
        redirect_uri: REDIRECT.into(),
        scope: "openid profile".into(),
        users,
        registry: Some(registry_csv.clone()),
        outbox: Some(p.data_dir.join("sms-outbox.jsonl")),
        registry_skip: 0,
    };
    for scenario in [
        Scenario::Discovery,
        Scenario::ClientCredentials,
        Scenario::Refresh,
        Scenario::LoginFlow,
        Scenario::SsoFlow,
        Scenario::Enrollment,
    ] {
        let ctx = Ctx::prepare(&opts, scenario)
            .await
            .unwrap_or_else(|e| panic!("{scenario}: {e}\n{}", p.log()));
        let summary = run(
            scenario,
            ctx,
            RunOptions {
                concurrency: 2,
                duration: Duration::from_secs(1),
                warmup: Duration::ZERO,
            },
        )
        .await
        .unwrap_or_else(|e| panic!("{scenario}: {e}"));
        assert!(
            summary.is_result(),
            "{}\nserver log:\n{}",
            report::not_a_result(&summary),
            p.log()
        );
        assert!(summary.ops > 0, "{scenario}: no operation completed");
    }
}
