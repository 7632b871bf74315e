//! Fictional registry rows for the enrollment scenario: checksum-valid
//! citizen IDs no real card has (a random block per file), Thai names, birth
//! dates and laser codes, written as the registry CSV the server proofs
//! against (DESIGN.md "Registry file").

use std::io::Write as _;
use std::path::Path;

use serde::Deserialize;

use crate::error::LoadError;

/// One citizen as the registry knows them.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct Row {
    pub citizen_id: String,
    pub first_name: String,
    pub last_name: String,
    pub birth_date: String,
    pub laser_code: String,
    pub card_status: String,
}

const FIRST: [&str; 6] = ["สมชาย", "สมหญิง", "วิชัย", "มาลี", "ประเสริฐ", "สุดา"];
const LAST: [&str; 5] = ["ใจดี", "รักไทย", "มั่นคง", "ศรีสุข", "ทองคำ"];

/// The 13th digit of a Thai citizen ID (DOMAIN.md): 11 minus the weighted
/// sum of the first twelve (weights 13 down to 2) modulo 11, last digit.
pub fn check_digit(first12: &[u8; 12]) -> u8 {
    let sum: u32 = first12
        .iter()
        .zip((2..=13u32).rev())
        .map(|(d, w)| u32::from(*d) * w)
        .sum();
    u8::try_from((11 - sum % 11) % 10).unwrap_or(0)
}

/// A checksum-valid ID from a first digit and an 11-digit number.
pub fn citizen_id(first: u8, n: u64) -> String {
    let s = format!("{first}{:011}", n % 100_000_000_000);
    let mut d = [0u8; 12];
    for (slot, c) in d.iter_mut().zip(s.bytes()) {
        *slot = c - b'0';
    }
    format!("{s}{}", check_digit(&d))
}

/// `count` fresh rows from a random block of IDs.
pub fn generate(count: usize) -> Vec<Row> {
    let first = crate::random::in_range(1..=8u8);
    let span = 100_000_000_000u64 - count as u64 - 1;
    let base = crate::random::in_range(0..span);
    (0..count)
        .map(|i| {
            let n = base + i as u64;
            Row {
                citizen_id: citizen_id(first, n),
                first_name: FIRST[i % FIRST.len()].to_owned(),
                last_name: LAST[(i / FIRST.len()) % LAST.len()].to_owned(),
                birth_date: format!("19{:02}-{:02}-{:02}", 50 + i % 50, 1 + i % 12, 1 + i % 28),
                laser_code: format!("LG{:010}", n % 10_000_000_000),
                card_status: "active".to_owned(),
            }
        })
        .collect()
}

pub fn write(path: &Path, rows: &[Row]) -> Result<(), LoadError> {
    let io = |e| LoadError::io(format!("write {}", path.display()), e);
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).map_err(io)?);
    writeln!(f, "# pratu-load: generated fictional citizens").map_err(io)?;
    writeln!(
        f,
        "citizen_id,first_name,last_name,birth_date,laser_code,card_status"
    )
    .map_err(io)?;
    for r in rows {
        writeln!(
            f,
            "{},{},{},{},{},{}",
            r.citizen_id, r.first_name, r.last_name, r.birth_date, r.laser_code, r.card_status
        )
        .map_err(io)?;
    }
    f.flush().map_err(io)
}

/// The active rows of a registry CSV (extra columns ignored).
pub fn read(path: &Path) -> Result<Vec<Row>, LoadError> {
    let mut rdr = csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .flexible(true)
        .from_path(path)
        .map_err(|e| LoadError::setup(format!("registry {}: {e}", path.display())))?;
    let mut rows = Vec::new();
    for r in rdr.deserialize::<Row>() {
        let r = r.map_err(|e| LoadError::setup(format!("registry {}: {e}", path.display())))?;
        if r.card_status == "active" {
            rows.push(r);
        }
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_digit_matches_the_dev_registry() {
        // 1234567890121 is the first row of config/dev-registry.csv.
        assert_eq!(citizen_id(1, 23_456_789_012), "1234567890121");
    }

    #[test]
    fn generated_rows_round_trip_through_the_csv() {
        let rows = generate(50);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.csv");
        write(&path, &rows).unwrap();
        assert_eq!(read(&path).unwrap(), rows);
        let mut ids: Vec<_> = rows.iter().map(|r| &r.citizen_id).collect();
        ids.dedup();
        assert_eq!(ids.len(), 50);
    }
}
