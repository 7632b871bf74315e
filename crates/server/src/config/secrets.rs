//! Server-side secret keys: the personal-data key (citizen IDs at rest), the
//! blind-index key, the key-encryption key (signing keys at rest) and the
//! server key (CSRF tokens, pairwise subjects).
//!
//! Production sets each as base64 (32 bytes) through the environment
//! (`PRATU_SECRETS__PII_KEY`, …) or a file; for development a missing key is
//! generated once into `<data_dir>/secrets/` (mode 0600) with a loud warning.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use pratu_core::pii::SecretKey;
use serde::{Deserialize, Serialize};
use sha2::Digest as _;

use super::ConfigError;

/// A base64 secret in configuration; never printed.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(transparent)]
pub struct SecretString(String);

/// What stands for a secret in printed configuration (`pratu check-config`).
pub const REDACTED: &str = "[redacted]";

impl SecretString {
    /// The placeholder printed instead of a secret.
    pub fn redacted() -> Self {
        Self(REDACTED.to_owned())
    }
}

impl std::fmt::Debug for SecretString {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretString([redacted])")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SecretsConfig {
    /// Where key files live; default `<data_dir>/secrets`.
    pub dir: Option<PathBuf>,
    /// Generate missing key files (development). Turn off in production so a
    /// missing key is an error rather than a fresh, empty identity.
    pub generate_missing: bool,
    pub pii_key: Option<SecretString>,
    pub index_key: Option<SecretString>,
    pub key_encryption_key: Option<SecretString>,
    pub server_key: Option<SecretString>,
    /// Former personal-data keys, still able to open older values.
    pub previous_pii_keys: Vec<SecretString>,
    /// Former key-encryption keys.
    pub previous_key_encryption_keys: Vec<SecretString>,
}

impl Default for SecretsConfig {
    fn default() -> Self {
        Self {
            dir: None,
            generate_missing: true,
            pii_key: None,
            index_key: None,
            key_encryption_key: None,
            server_key: None,
            previous_pii_keys: Vec::new(),
            previous_key_encryption_keys: Vec::new(),
        }
    }
}

/// The loaded keys.
#[derive(Debug, Clone)]
pub struct Secrets {
    pub pii: SecretKey,
    pub previous_pii: Vec<SecretKey>,
    pub index: SecretKey,
    pub key_encryption: SecretKey,
    pub previous_key_encryption: Vec<SecretKey>,
    pub server: SecretKey,
}

impl SecretsConfig {
    /// The four current keys by name.
    fn named_keys(&self) -> [(&'static str, &Option<SecretString>); 4] {
        [
            ("pii_key", &self.pii_key),
            ("index_key", &self.index_key),
            ("key_encryption_key", &self.key_encryption_key),
            ("server_key", &self.server_key),
        ]
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        for (name, value) in self.named_keys() {
            if let Some(v) = value {
                decode(v).map_err(|m| ConfigError::key(format!("secrets.{name}"), m))?;
            }
        }
        for (name, list) in [
            ("previous_pii_keys", &self.previous_pii_keys),
            (
                "previous_key_encryption_keys",
                &self.previous_key_encryption_keys,
            ),
        ] {
            for v in list {
                decode(v).map_err(|m| ConfigError::key(format!("secrets.{name}"), m))?;
            }
        }
        Ok(())
    }

    /// Whether start-up may invent a key: generation is on and some key is
    /// not set here (a key file may still hold it, but nothing guarantees
    /// one survives a lost volume).
    pub fn may_generate(&self) -> bool {
        self.generate_missing && self.named_keys().iter().any(|(_, v)| v.is_none())
    }

    /// Checks what [`SecretsConfig::load`] would without writing anything:
    /// every key not set here is in a readable key file, or may be generated.
    pub fn check(&self, data_dir: &Path) -> Result<(), ConfigError> {
        let dir = self.key_dir(data_dir);
        for (name, value) in self.named_keys() {
            if value.is_none() {
                self.read_file(&dir, name)?;
            }
        }
        Ok(())
    }

    /// A copy to print: every key set here, current or previous, replaced
    /// by [`REDACTED`].
    pub fn redacted(&self) -> Self {
        let hide = |v: &Option<SecretString>| v.as_ref().map(|_| SecretString::redacted());
        Self {
            dir: self.dir.clone(),
            generate_missing: self.generate_missing,
            pii_key: hide(&self.pii_key),
            index_key: hide(&self.index_key),
            key_encryption_key: hide(&self.key_encryption_key),
            server_key: hide(&self.server_key),
            previous_pii_keys: vec![SecretString::redacted(); self.previous_pii_keys.len()],
            previous_key_encryption_keys: vec![
                SecretString::redacted();
                self.previous_key_encryption_keys.len()
            ],
        }
    }

    fn key_dir(&self, data_dir: &Path) -> PathBuf {
        self.dir.clone().unwrap_or_else(|| data_dir.join("secrets"))
    }

    /// Loads every key, generating missing ones when allowed.
    pub fn load(&self, data_dir: &Path) -> Result<Secrets, ConfigError> {
        let dir = self.key_dir(data_dir);
        let one = |name: &str, value: &Option<SecretString>| -> Result<SecretKey, ConfigError> {
            let bytes = match value {
                Some(v) => decode(v).map_err(|m| ConfigError::key(format!("secrets.{name}"), m))?,
                None => self.read_or_generate(&dir, name)?,
            };
            key_from(&bytes).map_err(|m| ConfigError::key(format!("secrets.{name}"), m))
        };
        let many = |name: &str, list: &[SecretString]| -> Result<Vec<SecretKey>, ConfigError> {
            list.iter()
                .map(|v| {
                    decode(v)
                        .and_then(|b| key_from(&b))
                        .map_err(|m| ConfigError::key(format!("secrets.{name}"), m))
                })
                .collect()
        };
        Ok(Secrets {
            pii: one("pii_key", &self.pii_key)?,
            previous_pii: many("previous_pii_keys", &self.previous_pii_keys)?,
            index: one("index_key", &self.index_key)?,
            key_encryption: one("key_encryption_key", &self.key_encryption_key)?,
            previous_key_encryption: many(
                "previous_key_encryption_keys",
                &self.previous_key_encryption_keys,
            )?,
            server: one("server_key", &self.server_key)?,
        })
    }

    fn read_or_generate(&self, dir: &Path, name: &str) -> Result<Vec<u8>, ConfigError> {
        match self.read_file(dir, name)? {
            Some(bytes) => Ok(bytes),
            None => {
                let path = dir.join(format!("{name}.key"));
                let key = SecretKey::generate("new");
                write_private(&path, &STANDARD.encode(key.expose_bytes())).map_err(|e| {
                    ConfigError::key(
                        format!("secrets.{name}"),
                        format!("cannot write {}: {e}", path.display()),
                    )
                })?;
                tracing::warn!(
                    key = name,
                    path = %path.display(),
                    "GENERATED A NEW SECRET KEY: fine for development; in production set secrets.{name} \
                     (PRATU_SECRETS__{}) and secrets.generate_missing = false, and back this key up — \
                     losing it loses the data it protects",
                    name.to_uppercase()
                );
                Ok(key.expose_bytes().to_vec())
            }
        }
    }

    /// The key file's key; `None` when there is none and one may be
    /// generated.
    fn read_file(&self, dir: &Path, name: &str) -> Result<Option<Vec<u8>>, ConfigError> {
        let path = dir.join(format!("{name}.key"));
        match std::fs::read_to_string(&path) {
            Ok(text) => decode(&SecretString(text.trim().to_owned()))
                .map(Some)
                .map_err(|m| {
                    ConfigError::key(
                        format!("secrets.{name}"),
                        format!("{}: {m}", path.display()),
                    )
                }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && self.generate_missing => Ok(None),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(ConfigError::key(
                format!("secrets.{name}"),
                format!(
                    "not set and {} does not exist (secrets.generate_missing is false)",
                    path.display()
                ),
            )),
            Err(e) => Err(ConfigError::key(
                format!("secrets.{name}"),
                format!("cannot read {}: {e}", path.display()),
            )),
        }
    }
}

fn decode(v: &SecretString) -> Result<Vec<u8>, String> {
    let bytes = STANDARD
        .decode(v.0.trim())
        .map_err(|_| "must be base64 (standard alphabet)".to_owned())?;
    if bytes.len() != 32 {
        return Err(format!("must decode to 32 bytes, not {}", bytes.len()));
    }
    Ok(bytes)
}

/// Key ids are derived from the key itself so they need no configuration.
fn key_from(bytes: &[u8]) -> Result<SecretKey, String> {
    let digest = sha2::Sha256::digest(bytes);
    let id: String = digest.iter().take(4).map(|b| format!("{b:02x}")).collect();
    SecretKey::new(id, bytes).map_err(|e| e.to_string())
}

fn write_private(path: &Path, content: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(parent, std::fs::Permissions::from_mode(0o700))?;
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(content.as_bytes())?;
    file.write_all(b"\n")?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt as _;

    #[test]
    fn missing_keys_are_generated_once_with_owner_only_permissions() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = SecretsConfig::default();
        let first = cfg.load(dir.path()).unwrap();
        let mode = std::fs::metadata(dir.path().join("secrets/pii_key.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let second = cfg.load(dir.path()).unwrap();
        assert_eq!(first.pii.expose_bytes(), second.pii.expose_bytes());
        assert_eq!(first.pii.id(), second.pii.id());
        assert_ne!(first.pii.expose_bytes(), first.index.expose_bytes());
    }

    #[test]
    fn without_generation_a_missing_key_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = SecretsConfig {
            generate_missing: false,
            ..SecretsConfig::default()
        };
        let err = cfg.load(dir.path()).unwrap_err().to_string();
        assert!(err.contains("secrets.pii_key"), "{err}");
    }

    #[test]
    fn a_configured_key_must_be_32_bytes_of_base64() {
        let cfg = SecretsConfig {
            pii_key: Some(SecretString("c2hvcnQ=".into())),
            ..SecretsConfig::default()
        };
        let err = cfg.validate().unwrap_err().to_string();
        assert!(
            err.contains("secrets.pii_key") && err.contains("32 bytes"),
            "{err}"
        );
        assert!(!format!("{cfg:?}").contains("c2hvcnQ"));
    }
}
