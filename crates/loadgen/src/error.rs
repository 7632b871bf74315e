//! What can go wrong while generating load. Every error of a measured
//! operation is counted; the first few are kept as samples for the report.

/// One failed operation or a failed set-up.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("connect to {addr}: {source}")]
    Connect {
        addr: String,
        source: std::io::Error,
    },
    #[error("http: {0}")]
    Http(String),
    #[error("{what}: HTTP {status}: {body}")]
    Status {
        what: &'static str,
        status: u16,
        body: String,
    },
    #[error("{0}")]
    Protocol(String),
    #[error("id token: {0}")]
    IdToken(String),
    #[error("set-up: {0}")]
    Setup(String),
    #[error("{what}: {source}")]
    Io {
        what: String,
        source: std::io::Error,
    },
}

impl LoadError {
    pub fn protocol(msg: impl Into<String>) -> Self {
        Self::Protocol(msg.into())
    }

    pub fn setup(msg: impl Into<String>) -> Self {
        Self::Setup(msg.into())
    }

    pub fn io(what: impl Into<String>, source: std::io::Error) -> Self {
        Self::Io {
            what: what.into(),
            source,
        }
    }

    /// An unexpected status; keeps the start of the body (the server's
    /// error description) for the report.
    pub fn status(what: &'static str, status: u16, body: &[u8]) -> Self {
        let text = String::from_utf8_lossy(body);
        let body: String = text.chars().take(300).collect();
        Self::Status { what, status, body }
    }
}
