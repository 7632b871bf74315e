//! The registry-file provider: a CSV of fictional citizens (DESIGN.md
//! "Registry file") that answers like DOPA's card check (DOMAIN.md §3
//! "Stub"). It is the default, so a fresh checkout enrolls without access to
//! the real registry.
//!
//! Header: `citizen_id,first_name,last_name,birth_date,laser_code,card_status`
//! (`birth_date` C.E. `YYYY-MM-DD` with `00` for an unknown month or day;
//! `card_status` `active`, anything else is refused). Further columns (title,
//! middle and English names) are allowed and ignored by the check.

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;
use serde::Deserialize;
use time::Date;

use super::{IdentityProofing, NotVerifiedReason, ProofingOutcome, ProofingRequest};
use crate::domain::{BirthDate, CitizenId, FirstDigits, LaserCode, ThaiName};

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("cannot read the registry file")]
    Io(#[source] std::io::Error),
    #[error("registry line {line}: not valid CSV with the expected header")]
    Csv {
        line: u64,
        #[source]
        source: csv::Error,
    },
    /// The value itself is never printed: even fictional IDs are treated as
    /// personal data.
    #[error("registry line {line}: invalid {column}")]
    InvalidRow { line: u64, column: &'static str },
    #[error("registry line {line}: citizen ID appears twice")]
    Duplicate { line: u64 },
}

#[derive(Deserialize)]
struct CsvRow<'a> {
    citizen_id: &'a str,
    first_name: &'a str,
    last_name: &'a str,
    birth_date: &'a str,
    laser_code: &'a str,
    card_status: &'a str,
}

/// One card: where its fields lie in [`RegistryFile::text`]. A registry of
/// tens of thousands of rows stays one allocation of text and one table,
/// instead of five small strings per row (a dev registry of 15 000 rows
/// cost the server ~8 MiB that way, most of its idle memory).
struct Card {
    start: u32,
    /// Ends of first name, last name, B.E. birth date (`YYYYMMDD` with
    /// `00`s, as DOPA compares it) and compact laser code.
    ends: [u32; 4],
    active: bool,
}

/// An in-memory copy of the registry file.
pub struct RegistryFile {
    /// Citizen ID (13 digits, as a number) → card.
    cards: HashMap<u64, Card>,
    text: String,
    unavailable: AtomicBool,
}

/// The card's fields: first name, last name, B.E. birth date, laser code.
struct CardFields<'a> {
    first_name: &'a str,
    last_name: &'a str,
    birth_be: &'a str,
    laser: &'a str,
}

impl RegistryFile {
    fn fields(&self, card: &Card) -> CardFields<'_> {
        let at = |from: u32, to: u32| self.text.get(from as usize..to as usize).unwrap_or("");
        let [first, last, birth, laser] = card.ends;
        CardFields {
            first_name: at(card.start, first),
            last_name: at(first, last),
            birth_be: at(last, birth),
            laser: at(birth, laser),
        }
    }
}

/// The registry's key for a citizen ID: its 13 digits read as a number.
fn key(digits: &str) -> Option<u64> {
    digits.parse().ok()
}

impl std::fmt::Debug for RegistryFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistryFile")
            .field("cards", &self.cards.len())
            .field("unavailable", &self.unavailable.load(Ordering::Relaxed))
            .finish()
    }
}

impl RegistryFile {
    pub fn load(path: &Path) -> Result<Self, RegistryError> {
        // A first pass sizes the table and the text, so that loading leaves
        // no outgrown copies behind: the allocator keeps freed memory
        // resident, and growing both as rows came cost a 15 000-row
        // registry ~2 MiB of the server's idle memory on top of the ~1.5 MiB
        // it holds.
        let (mut lines, mut bytes) = (0usize, 0usize);
        let mut file =
            std::io::BufReader::new(std::fs::File::open(path).map_err(RegistryError::Io)?);
        loop {
            let buf = std::io::BufRead::fill_buf(&mut file).map_err(RegistryError::Io)?;
            if buf.is_empty() {
                break;
            }
            lines += buf.iter().filter(|&&b| b == b'\n').count();
            let n = buf.len();
            bytes += n;
            std::io::BufRead::consume(&mut file, n);
        }
        let file = std::fs::File::open(path).map_err(RegistryError::Io)?;
        Self::read(file, lines + 1, bytes)
    }

    /// Reads and checks every row: a broken registry fails at start-up, not
    /// at a citizen's check.
    pub fn from_reader(reader: impl Read) -> Result<Self, RegistryError> {
        Self::read(reader, 0, 0)
    }

    /// [`Self::from_reader`], room made at once for `rows` rows of at most
    /// `bytes` bytes of text in all (both upper bounds; the text's unused
    /// room is never touched, so it costs no memory).
    fn read(reader: impl Read, rows: usize, bytes: usize) -> Result<Self, RegistryError> {
        let sized = rows > 0;
        let mut csv = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .comment(Some(b'#'))
            .from_reader(reader);
        let mut cards = HashMap::with_capacity(rows);
        let mut text = String::with_capacity(bytes);
        let any_first_digit = FirstDigits::parse("0123456789").unwrap_or_default();
        let csv_error = |source: csv::Error| RegistryError::Csv {
            line: source.position().map_or(0, csv::Position::line),
            source,
        };
        let headers = csv.headers().map_err(csv_error)?.clone();
        // One record buffer for every row.
        let mut raw = csv::StringRecord::new();
        while csv.read_record(&mut raw).map_err(csv_error)? {
            let line = raw.position().map_or(0, csv::Position::line);
            let record: CsvRow<'_> = raw
                .deserialize(Some(&headers))
                .map_err(|source| RegistryError::Csv { line, source })?;
            let bad = |column| RegistryError::InvalidRow { line, column };
            let id = CitizenId::parse_with(record.citizen_id, any_first_digit)
                .map_err(|_| bad("citizen_id"))?;
            let id = key(id.expose_digits()).ok_or_else(|| bad("citizen_id"))?;
            let first = ThaiName::parse(record.first_name).map_err(|_| bad("first_name"))?;
            let last = ThaiName::parse(record.last_name).map_err(|_| bad("last_name"))?;
            let birth =
                BirthDate::parse(record.birth_date, Date::MAX).map_err(|_| bad("birth_date"))?;
            let laser = LaserCode::parse(record.laser_code).map_err(|_| bad("laser_code"))?;
            if cards.contains_key(&id) {
                return Err(RegistryError::Duplicate { line });
            }
            let offset = |text: &String| u32::try_from(text.len()).map_err(|_| bad("size"));
            let start = offset(&text)?;
            let mut ends = [0; 4];
            for (end, field) in ends.iter_mut().zip([
                first.as_str(),
                last.as_str(),
                &birth.dopa_be(),
                laser.expose_compact(),
            ]) {
                text.push_str(field);
                *end = offset(&text)?;
            }
            let active = record.card_status.eq_ignore_ascii_case("active");
            cards.insert(
                id,
                Card {
                    start,
                    ends,
                    active,
                },
            );
        }
        if !sized {
            text.shrink_to_fit();
            cards.shrink_to_fit();
        }
        Ok(Self {
            cards,
            text,
            unavailable: AtomicBool::new(false),
        })
    }

    /// Makes every check answer "unavailable" (tests of the outage path).
    pub fn set_unavailable(&self, unavailable: bool) {
        self.unavailable.store(unavailable, Ordering::Relaxed);
    }

    pub fn len(&self) -> usize {
        self.cards.len()
    }

    pub fn is_empty(&self) -> bool {
        self.cards.is_empty()
    }
}

fn not_verified(reason: NotVerifiedReason, code: &str) -> ProofingOutcome {
    ProofingOutcome::NotVerified {
        reason,
        code: code.into(),
    }
}

#[async_trait]
impl IdentityProofing for RegistryFile {
    fn provider(&self) -> &'static str {
        "registry_file"
    }

    async fn check(&self, r: &ProofingRequest) -> ProofingOutcome {
        if self.unavailable.load(Ordering::Relaxed) {
            return ProofingOutcome::Unavailable;
        }
        let inputs = [
            r.citizen_id.expose_digits(),
            r.first_name.as_str(),
            r.last_name.as_str(),
            r.laser_code.expose_compact(),
        ];
        if inputs.iter().any(|s| s.is_empty()) {
            return not_verified(NotVerifiedReason::MissingField, "5");
        }
        let Some(card) = key(r.citizen_id.expose_digits()).and_then(|k| self.cards.get(&k)) else {
            return not_verified(NotVerifiedReason::NotFound, "4");
        };
        let fields = self.fields(card);
        if fields.laser != r.laser_code.expose_compact() {
            return not_verified(NotVerifiedReason::NotFound, "4");
        }
        if fields.first_name != r.first_name.as_str()
            || fields.last_name != r.last_name.as_str()
            || fields.birth_be != r.birth_date.dopa_be()
        {
            return not_verified(NotVerifiedReason::Mismatch, "4");
        }
        if !card.active {
            return not_verified(NotVerifiedReason::CardInactive, "2");
        }
        ProofingOutcome::Verified { code: "0".into() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CSV: &str = "\
citizen_id,first_name,last_name,birth_date,laser_code,card_status,title
1234567890121,สมชาย,ใจดี,1987-01-01,JT1232145632,active,นาย
3101200045673, สมหญิง , รักไทย ,1995-12-00,AB1-1234567-89,active,
1101700207030,มานะ,ขยัน,1960-00-00,CD0000000001,expired,
";

    fn registry() -> RegistryFile {
        RegistryFile::from_reader(CSV.as_bytes()).unwrap()
    }

    fn request(id: &str, first: &str, last: &str, birth: &str, laser: &str) -> ProofingRequest {
        ProofingRequest {
            citizen_id: CitizenId::parse(id).unwrap(),
            first_name: ThaiName::parse(first).unwrap(),
            last_name: ThaiName::parse(last).unwrap(),
            birth_date: BirthDate::parse(birth, Date::MAX).unwrap(),
            laser_code: LaserCode::parse(laser).unwrap(),
        }
    }

    async fn check(r: &RegistryFile, req: ProofingRequest) -> ProofingOutcome {
        r.check(&req).await
    }

    #[tokio::test]
    async fn a_matching_active_card_is_verified_in_either_era() {
        let r = registry();
        assert_eq!(r.len(), 3);
        let ok = ProofingOutcome::Verified { code: "0".into() };
        assert_eq!(
            check(
                &r,
                request(
                    "1234567890121",
                    "สมชาย",
                    "ใจดี",
                    "2530-01-01",
                    "JT1232145632"
                )
            )
            .await,
            ok
        );
        assert_eq!(
            check(
                &r,
                request(
                    "1234567890121",
                    " สมชาย",
                    "ใจดี ",
                    "1987-01-01",
                    "jt1-2321456-32"
                )
            )
            .await,
            ok
        );
        assert_eq!(
            check(
                &r,
                request(
                    "3101200045673",
                    "สมหญิง",
                    "รักไทย",
                    "2538-12-00",
                    "AB1123456789"
                )
            )
            .await,
            ok
        );
    }

    #[tokio::test]
    async fn an_unknown_id_or_other_laser_code_is_not_found() {
        let r = registry();
        let nf = not_verified(NotVerifiedReason::NotFound, "4");
        assert_eq!(
            check(
                &r,
                request(
                    "5000000000001",
                    "สมชาย",
                    "ใจดี",
                    "1987-01-01",
                    "JT1232145632"
                )
            )
            .await,
            nf
        );
        assert_eq!(
            check(
                &r,
                request(
                    "1234567890121",
                    "สมชาย",
                    "ใจดี",
                    "1987-01-01",
                    "JT1232145633"
                )
            )
            .await,
            nf
        );
    }

    #[tokio::test]
    async fn each_differing_name_or_date_part_is_a_mismatch() {
        let r = registry();
        let mm = not_verified(NotVerifiedReason::Mismatch, "4");
        let id = "1234567890121";
        let laser = "JT1232145632";
        assert_eq!(
            check(&r, request(id, "สมชัย", "ใจดี", "1987-01-01", laser)).await,
            mm
        );
        assert_eq!(
            check(&r, request(id, "สมชาย", "ใจร้าย", "1987-01-01", laser)).await,
            mm
        );
        assert_eq!(
            check(&r, request(id, "สมชาย", "ใจดี", "1987-01-02", laser)).await,
            mm
        );
        assert_eq!(
            check(&r, request(id, "สมชาย", "ใจดี", "1987-01-00", laser)).await,
            mm
        );
        assert_eq!(
            check(
                &r,
                request(
                    "3101200045673",
                    "สมหญิง",
                    "รักไทย",
                    "1995-12-01",
                    "AB1123456789"
                )
            )
            .await,
            mm
        );
    }

    #[tokio::test]
    async fn an_inactive_card_is_refused_with_code_2() {
        let r = registry();
        assert_eq!(
            check(
                &r,
                request("1101700207030", "มานะ", "ขยัน", "2503", "CD0000000001")
            )
            .await,
            not_verified(NotVerifiedReason::CardInactive, "2")
        );
    }

    #[tokio::test]
    async fn the_unavailable_switch_answers_unavailable() {
        let r = registry();
        r.set_unavailable(true);
        assert_eq!(
            check(
                &r,
                request(
                    "1234567890121",
                    "สมชาย",
                    "ใจดี",
                    "1987-01-01",
                    "JT1232145632"
                )
            )
            .await,
            ProofingOutcome::Unavailable
        );
    }

    #[test]
    fn a_broken_row_is_reported_by_line_and_column_without_its_value() {
        let bad = "citizen_id,first_name,last_name,birth_date,laser_code,card_status\n\
                   1234567890121,สมชาย,ใจดี,1987-01-01,JT1232145632,active\n\
                   1234567890123,สมชาย,ใจดี,1987-01-01,JT1232145632,active\n";
        let e = RegistryFile::from_reader(bad.as_bytes()).unwrap_err();
        assert!(
            matches!(
                e,
                RegistryError::InvalidRow {
                    line: 3,
                    column: "citizen_id"
                }
            ),
            "{e:?}"
        );
        assert!(!e.to_string().contains("1234567890123"));
        let dup = "citizen_id,first_name,last_name,birth_date,laser_code,card_status\n\
                   1234567890121,สมชาย,ใจดี,1987-01-01,JT1232145632,active\n\
                   1234567890121,สมชาย,ใจดี,1987-01-01,JT1232145632,active\n";
        assert!(matches!(
            RegistryFile::from_reader(dup.as_bytes()),
            Err(RegistryError::Duplicate { line: 3 })
        ));
        let missing = "citizen_id,first_name\n1234567890121,สมชาย\n";
        assert!(matches!(
            RegistryFile::from_reader(missing.as_bytes()),
            Err(RegistryError::Csv { .. })
        ));
    }

    #[test]
    fn the_shipped_dev_registry_loads_with_valid_checksums_and_some_inactive_cards() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/dev-registry.csv");
        let text = std::fs::read_to_string(&path).unwrap();
        let r = RegistryFile::from_reader(text.as_bytes()).unwrap();
        assert!(r.len() >= 45, "only {} rows", r.len());
        assert!(r.cards.values().any(|c| !c.active));
        assert!(
            r.cards
                .values()
                .any(|c| r.fields(c).birth_be.ends_with("00"))
        );
        for id in r.cards.keys() {
            assert!(CitizenId::parse(&format!("{id:013}")).is_ok());
        }
    }

    /// `load` sizes its table from a first pass over the file: a file
    /// without a final newline, and one padded with comments, still load
    /// every row and answer like the same text read from memory.
    #[tokio::test]
    async fn a_file_loads_like_its_text_whatever_its_line_ends() {
        let dir = tempfile::tempdir().unwrap();
        for text in [
            CSV.to_owned(),
            CSV.trim_end().to_owned(),
            format!("# fictional\n{CSV}# end\n\n"),
        ] {
            let path = dir.path().join("registry.csv");
            std::fs::write(&path, &text).unwrap();
            let loaded = RegistryFile::load(&path).unwrap();
            assert_eq!(loaded.len(), 3);
            let expected = RegistryFile::from_reader(text.as_bytes()).unwrap();
            for (id, card) in &expected.cards {
                let got = loaded.cards.get(id).expect("every row");
                let (a, b) = (expected.fields(card), loaded.fields(got));
                assert_eq!(
                    (a.first_name, a.last_name, a.birth_be, a.laser, card.active),
                    (b.first_name, b.last_name, b.birth_be, b.laser, got.active)
                );
            }
            let ok = request(
                "1234567890121",
                "สมชาย",
                "ใจดี",
                "2530-01-01",
                "JT1232145632",
            );
            assert_eq!(
                check(&loaded, ok).await,
                ProofingOutcome::Verified { code: "0".into() }
            );
        }
    }
}
