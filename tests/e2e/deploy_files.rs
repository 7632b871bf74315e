//! Issue 6: what can be checked of `deploy/` without a container engine or
//! a cluster. Every YAML file parses; the Kubernetes objects point at each
//! other (probes, selectors, scale target, Secret keys); the configuration
//! they carry passes the real binary's `check-config`, whose unknown-key
//! check catches a misspelt `PRATU_*` variable; the compose nodes are
//! interchangeable; the nginx site passes `nginx -t`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use yaml_rust2::{Yaml, YamlLoader};

use crate::harness::BIN;

fn deploy_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy")
}

fn required() -> bool {
    std::env::var_os("CI").is_some() || std::env::var_os("PRATU_TEST_REQUIRE_ALL").is_some()
}

/// YAML as JSON, so the checks below read like JSON pointers.
fn to_json(y: &Yaml) -> Value {
    match y {
        Yaml::Real(s) => s
            .parse::<f64>()
            .map_or_else(|_| Value::String(s.clone()), Value::from),
        Yaml::Integer(i) => Value::from(*i),
        Yaml::String(s) => Value::String(s.clone()),
        Yaml::Boolean(b) => Value::Bool(*b),
        Yaml::Array(a) => Value::Array(a.iter().map(to_json).collect()),
        Yaml::Hash(h) => Value::Object(
            h.iter()
                .map(|(k, v)| {
                    let key = match k {
                        Yaml::String(s) => s.clone(),
                        Yaml::Integer(i) => i.to_string(),
                        other => panic!("unexpected map key {other:?}"),
                    };
                    (key, to_json(v))
                })
                .collect(),
        ),
        Yaml::Null => Value::Null,
        other => panic!("unsupported YAML node {other:?}"),
    }
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().is_some_and(|n| n == "secrets") {
            continue;
        }
        if path.is_dir() {
            yaml_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(path);
        }
    }
}

/// Every document of one file.
fn load(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap();
    let docs = YamlLoader::load_from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not valid YAML: {e}", path.display()));
    assert!(!docs.is_empty(), "{} is empty", path.display());
    docs.iter().map(to_json).collect()
}

fn k8s(kind: &str) -> Value {
    let mut files = Vec::new();
    yaml_files(&deploy_dir().join("k8s"), &mut files);
    let mut found: Vec<Value> = files
        .iter()
        .flat_map(|f| load(f))
        .filter(|d| d["kind"] == kind)
        .collect();
    assert_eq!(found.len(), 1, "one {kind} in deploy/k8s");
    found.remove(0)
}

fn labels(v: &Value) -> BTreeMap<String, String> {
    v.as_object()
        .unwrap_or_else(|| panic!("labels expected, got {v}"))
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
        .collect()
}

fn subset(small: &BTreeMap<String, String>, big: &BTreeMap<String, String>) -> bool {
    small.iter().all(|(k, v)| big.get(k) == Some(v))
}

/// Runs `pratu check-config` with only `envs` (and a config file, if any).
fn check_config(config: Option<&Path>, envs: &[(String, String)]) -> std::process::Output {
    let tmp = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(BIN);
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("PRATU_DATA_DIR", tmp.path())
        .current_dir(tmp.path());
    if let Some(file) = config {
        cmd.arg("--config").arg(file);
    }
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.arg("check-config").output().unwrap()
}

/// A value of the right shape for each variable, so `check-config` judges
/// the names, not our placeholders.
fn sample_value(key: &str) -> String {
    match key {
        k if k.starts_with("PRATU_SECRETS__") && k.ends_with("_KEY") => {
            "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=".into()
        }
        "PRATU_DATABASE_URL" => "postgres://pratu@db.invalid:5432/pratu".into(),
        "PRATU_REDIS_URL" => "redis://redis.invalid:6379".into(),
        "PRATU_ISSUER" => "https://id.example.go.th".into(),
        _ => String::new(),
    }
}

#[test]
fn every_yaml_file_under_deploy_parses() {
    let mut files = Vec::new();
    yaml_files(&deploy_dir(), &mut files);
    assert!(
        files.len() >= 8,
        "compose and the Kubernetes manifests: {files:?}"
    );
    for f in &files {
        for doc in load(f) {
            assert!(doc.is_object(), "{}: a mapping at the top", f.display());
        }
    }
}

#[test]
fn the_kubernetes_objects_point_at_each_other() {
    let deploy = k8s("Deployment");
    let name = deploy["metadata"]["name"].as_str().unwrap();
    let selector = labels(&deploy["spec"]["selector"]["matchLabels"]);
    let pod = &deploy["spec"]["template"];
    let pod_labels = labels(&pod["metadata"]["labels"]);
    assert!(
        subset(&selector, &pod_labels),
        "the Deployment selects its own pods"
    );
    assert!(deploy["spec"]["replicas"].as_i64().unwrap() >= 2);
    assert_eq!(pod["spec"]["securityContext"]["runAsNonRoot"], true);
    let containers = pod["spec"]["containers"].as_array().unwrap();
    let pratu = &containers[0];
    assert_eq!(pratu["readinessProbe"]["httpGet"]["path"], "/readyz");
    assert_eq!(pratu["livenessProbe"]["httpGet"]["path"], "/healthz");
    let sc = &pratu["securityContext"];
    assert_eq!(sc["readOnlyRootFilesystem"], true);
    assert_eq!(sc["allowPrivilegeEscalation"], false);
    assert_eq!(sc["capabilities"]["drop"][0], "ALL");
    assert!(pratu["resources"]["requests"]["cpu"].is_string());
    assert!(pratu["resources"]["limits"]["memory"].is_string());
    let ports: Vec<&str> = pratu["ports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();

    let hpa = k8s("HorizontalPodAutoscaler");
    assert_eq!(hpa["spec"]["scaleTargetRef"]["kind"], "Deployment");
    assert_eq!(hpa["spec"]["scaleTargetRef"]["name"], name);
    assert!(hpa["spec"]["minReplicas"].as_i64().unwrap() >= 2);
    assert!(
        hpa["spec"]["maxReplicas"].as_i64() > hpa["spec"]["minReplicas"].as_i64(),
        "room to scale"
    );
    assert!(
        hpa["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"].is_i64(),
        "a target: {hpa}"
    );

    let pdb = k8s("PodDisruptionBudget");
    let pdb_selector = labels(&pdb["spec"]["selector"]["matchLabels"]);
    assert!(
        subset(&pdb_selector, &pod_labels) && !pdb_selector.is_empty(),
        "the PDB selects the Deployment's pods: {pdb_selector:?} vs {pod_labels:?}"
    );
    let min = pdb["spec"]["minAvailable"].as_i64().unwrap();
    assert!(
        min < hpa["spec"]["minReplicas"].as_i64().unwrap(),
        "a drain can still evict a pod"
    );

    let svc = k8s("Service");
    assert!(subset(&labels(&svc["spec"]["selector"]), &pod_labels));
    let target = svc["spec"]["ports"][0]["targetPort"].as_str().unwrap();
    assert!(ports.contains(&target), "{target} is a container port");

    let ingress = k8s("Ingress");
    let backend = &ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"];
    assert_eq!(backend["name"], svc["metadata"]["name"]);
    assert_eq!(backend["port"]["name"], svc["spec"]["ports"][0]["name"]);
    assert!(ingress["spec"]["tls"][0]["secretName"].is_string());

    // Secrets are referenced, never written: every reference names a key of
    // the example Secret, whose values are all empty.
    let secret = k8s("Secret");
    let secret_name = secret["metadata"]["name"].as_str().unwrap();
    let data = secret["stringData"].as_object().unwrap();
    assert!(data.values().all(|v| v == ""), "no secret values in git");
    let env = pratu["env"].as_array().unwrap();
    for e in env {
        assert!(
            e.get("value").is_none() || !e["name"].as_str().unwrap().contains("SECRET"),
            "{e}: a secret inline"
        );
        if let Some(r) = e["valueFrom"].get("secretKeyRef") {
            assert_eq!(r["name"], secret_name);
            assert!(data.contains_key(r["key"].as_str().unwrap()), "{r}");
        }
    }
    for key in [
        "PRATU_SECRETS__PII_KEY",
        "PRATU_SECRETS__INDEX_KEY",
        "PRATU_SECRETS__KEY_ENCRYPTION_KEY",
        "PRATU_SECRETS__SERVER_KEY",
    ] {
        assert!(
            env.iter().any(|e| e["name"] == key),
            "{key} reaches the pods"
        );
    }

    // The ConfigMap is mounted where PRATU_CONFIG points.
    let cm = k8s("ConfigMap");
    let mount = pratu["volumeMounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "config")
        .unwrap();
    let config_env = env.iter().find(|e| e["name"] == "PRATU_CONFIG").unwrap();
    assert_eq!(mount["mountPath"], config_env["value"]);
    assert!(cm["data"][mount["subPath"].as_str().unwrap()].is_string());

    // kustomization lists files that exist.
    let kustomization = load(&deploy_dir().join("k8s/kustomization.yaml")).remove(0);
    for r in kustomization["resources"].as_array().unwrap() {
        assert!(
            deploy_dir().join("k8s").join(r.as_str().unwrap()).is_file(),
            "{r}"
        );
    }
}

#[test]
fn the_kubernetes_configuration_passes_check_config() {
    let cm = k8s("ConfigMap");
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("pratu.toml");
    std::fs::write(&file, cm["data"]["pratu.toml"].as_str().unwrap()).unwrap();
    let env: Vec<(String, String)> = k8s("Deployment")["spec"]["template"]["spec"]["containers"][0]
        ["env"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap().to_owned())
        .filter(|n| n.starts_with("PRATU_") && n != "PRATU_CONFIG")
        .map(|n| {
            let v = sample_value(&n);
            (n, v)
        })
        .collect();
    let out = check_config(Some(&file), &env);
    assert!(
        out.status.success(),
        "check-config refused the ConfigMap: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(printed.contains("id.example.go.th"), "{printed}");

    // The same run fails on a name Pratu does not know, so the pass above
    // vouches for every variable name.
    let mut wrong = env.clone();
    wrong.push((
        "PRATU_SECRETS__PII".into(),
        sample_value("PRATU_SECRETS__PII_KEY"),
    ));
    assert!(
        !check_config(Some(&file), &wrong).status.success(),
        "check-config must reject an unknown key"
    );
}

fn compose() -> Value {
    load(&deploy_dir().join("compose.yaml")).remove(0)
}

fn environment(service: &Value) -> BTreeMap<String, String> {
    service["environment"]
        .as_object()
        .unwrap_or_else(|| panic!("environment as a map: {service}"))
        .iter()
        .map(|(k, v)| {
            let v = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            (k.clone(), v)
        })
        .collect()
}

/// The `NAME=` lines gen-secrets.sh writes into `secrets/pratu.env`.
fn generated_env_keys() -> Vec<String> {
    let script = std::fs::read_to_string(deploy_dir().join("gen-secrets.sh")).unwrap();
    let start = script.find("\"$dir/pratu.env\" <<ENV").unwrap();
    let body = &script[start..];
    let body = &body[body.find('\n').unwrap() + 1..body.find("\nENV\n").unwrap()];
    body.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once('=').map(|(k, _)| k.to_owned()))
        .collect()
}

#[test]
fn the_compose_nodes_are_interchangeable_and_use_real_keys() {
    let compose = compose();
    let services = compose["services"].as_object().unwrap();
    let nodes: Vec<&String> = services
        .keys()
        .filter(|k| k.starts_with("pratu-"))
        .collect();
    assert!(nodes.len() >= 2, "at least two Pratu nodes: {nodes:?}");
    let first = &services[nodes[0]];
    for n in &nodes {
        let s = &services[*n];
        assert_eq!(
            environment(s),
            environment(first),
            "{n} has the same settings as {}",
            nodes[0]
        );
        assert_eq!(s["env_file"], first["env_file"], "{n}: the same secrets");
        assert_eq!(s["build"]["target"], "pratu");
        assert_eq!(s["read_only"], true);
    }
    let env = environment(first);
    for key in ["PRATU_DATABASE_URL", "PRATU_REDIS_URL", "PRATU_ISSUER"] {
        assert!(env.contains_key(key), "{key} set for every node");
    }
    assert!(env["PRATU_ISSUER"].starts_with("https://"));
    assert_eq!(env["PRATU_SECRETS__GENERATE_MISSING"], "false");
    assert!(
        !env.keys()
            .any(|k| k.starts_with("PRATU_SECRETS__") && k.ends_with("_KEY")),
        "secret keys come from the env file, not compose.yaml"
    );
    // The nodes believe X-Forwarded-For from the compose network, where
    // nginx lives.
    let subnet = compose["networks"]["backend"]["ipam"]["config"][0]["subnet"]
        .as_str()
        .unwrap();
    assert!(env["PRATU_HTTP__TRUSTED_PROXIES"].contains(subnet));
    for service in ["postgres", "redis", "nginx", "info"] {
        assert!(services.contains_key(service), "{service} in compose");
    }
    assert!(
        compose["secrets"]["postgres_password"]["file"].is_string(),
        "the database password is a Docker secret"
    );

    // Every Pratu variable — compose's and the generated env file's — is a
    // configuration key `check-config` accepts; the others are the
    // PostgreSQL client's.
    let mut all: Vec<(String, String)> = env
        .iter()
        .filter(|(k, _)| k.starts_with("PRATU_"))
        .map(|(k, v)| {
            let sample = sample_value(k);
            (k.clone(), if v.contains("${") { sample } else { v.clone() })
        })
        .collect();
    let generated = generated_env_keys();
    assert!(generated.iter().any(|k| k == "PRATU_SECRETS__PII_KEY"));
    for k in &generated {
        if k.starts_with("PRATU_") {
            all.push((k.clone(), sample_value(k)));
        } else {
            assert_eq!(k, "PGPASSWORD", "an unexpected variable in pratu.env");
        }
    }
    let out = check_config(None, &all);
    assert!(
        out.status.success(),
        "check-config refused the compose settings: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    // The INFO app's variables are options agency-demo reads.
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../agency-demo/src/main.rs");
    match std::fs::read_to_string(&demo) {
        Ok(source) => {
            for key in environment(&services["info"]).keys() {
                assert!(
                    source.contains(&format!("env = \"{key}\"")),
                    "agency-demo has no option read from {key}"
                );
            }
        }
        Err(e) => eprintln!(
            "not checking the INFO app's variables: {}: {e}",
            demo.display()
        ),
    }

    // nginx balances over exactly the compose nodes.
    let nginx = std::fs::read_to_string(deploy_dir().join("nginx/pratu.conf")).unwrap();
    let block = &nginx[nginx.find("upstream pratu {").unwrap()..];
    let block = &block[..block.find('}').unwrap()];
    let upstream: Vec<&str> = block
        .lines()
        .map(str::trim)
        .filter_map(|l| l.strip_prefix("server "))
        .filter_map(|l| l.split(':').next())
        .collect();
    let mut expected: Vec<&str> = nodes.iter().map(|s| s.as_str()).collect();
    expected.sort_unstable();
    let mut upstream = upstream;
    upstream.sort_unstable();
    assert_eq!(upstream, expected, "the nginx upstream lists every node");
}

#[test]
fn the_nginx_site_passes_nginx_t() {
    let Some(nginx) = ["/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
    else {
        assert!(!required(), "nginx must be installed in CI (.ci/run)");
        eprintln!("skipped: nginx is not installed");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    // A throwaway certificate where the site expects the real one.
    let cert = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=id.example.test",
            "-keyout",
        ])
        .arg(dir.join("tls.key"))
        .arg("-out")
        .arg(dir.join("tls.crt"))
        .output();
    match cert {
        Ok(o) if o.status.success() => {}
        other => {
            assert!(!required(), "openssl failed: {other:?}");
            eprintln!("skipped: openssl cannot make a test certificate");
            return;
        }
    }
    // The compose service names do not resolve here; nginx -t resolves
    // upstream hosts, so they point at loopback for the check.
    let site = std::fs::read_to_string(deploy_dir().join("nginx/pratu.conf"))
        .unwrap()
        .replace("/etc/nginx/tls/", &format!("{}/", dir.display()))
        .replace("server pratu-a:", "server 127.0.0.1:")
        .replace("server pratu-b:", "server 127.0.0.2:");
    assert!(!site.contains("pratu-a:"), "every upstream host replaced");
    std::fs::write(dir.join("pratu.conf"), site).unwrap();
    let d = dir.display();
    std::fs::write(
        dir.join("nginx.conf"),
        format!(
            "pid {d}/nginx.pid;\nerror_log {d}/error.log;\nevents {{}}\nhttp {{\n  \
             access_log off;\n  client_body_temp_path {d}/body;\n  proxy_temp_path {d}/proxy;\n  \
             fastcgi_temp_path {d}/fastcgi;\n  uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n  \
             include {d}/pratu.conf;\n}}\n"
        ),
    )
    .unwrap();
    let out = Command::new(&nginx)
        .arg("-t")
        .arg("-p")
        .arg(dir)
        .arg("-e")
        .arg(dir.join("error.log"))
        .arg("-c")
        .arg(dir.join("nginx.conf"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "nginx -t: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_systemd_unit_has_no_unknown_directives() {
    let Some(analyze) = ["/usr/bin/systemd-analyze", "/bin/systemd-analyze"]
        .into_iter()
        .find(|p| Path::new(p).is_file())
    else {
        eprintln!("skipped: systemd-analyze is not installed");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let unit = tmp.path().join("pratu.service");
    let text = std::fs::read_to_string(deploy_dir().join("systemd/pratu.service"))
        .unwrap()
        .replace("/usr/local/bin/pratu", BIN);
    std::fs::write(&unit, text).unwrap();
    let out = Command::new(analyze)
        .arg("verify")
        .arg(&unit)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    // Unknown keys are only warnings to systemd; here they are errors.
    assert!(
        !stderr.contains("pratu.service"),
        "systemd-analyze complains: {stderr}"
    );
}
