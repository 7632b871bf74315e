//! The parsed domain values live in `pratu-core` (`pratu_core::domain`),
//! where recovery and the citizen's account can parse a citizen ID, a laser
//! code or a name without importing enrollment; re-exported here so the
//! wizard, the API and their tests keep their paths.

pub use pratu_core::domain::*;
