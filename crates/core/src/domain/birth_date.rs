//! Date of birth as Thai ID cards carry it (DOMAIN.md §8): the year in the
//! Buddhist Era (B.E. = C.E. + 543) or the Common Era, and the day, or day and
//! month, possibly unknown. Stored in C.E. as a
//! [`pratu_storage::records::PartialDate`].

use std::fmt;

use pratu_storage::records::PartialDate;
use time::{Date, Month};

/// Years from here up are Buddhist Era (DOMAIN.md §8: "a year ≥ 2400 is B.E.").
const FIRST_BE_YEAR: i32 = 2400;
const BE_OFFSET: i32 = 543;
/// Nobody alive was born before this (C.E.).
const EARLIEST_YEAR: i32 = 1850;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BirthDateError {
    #[error("date of birth is empty")]
    Empty,
    #[error("date of birth must look like YYYY-MM-DD (00 for an unknown day or month)")]
    Malformed,
    #[error("the year of birth is required")]
    YearRequired,
    #[error("a day cannot be given without its month")]
    DayWithoutMonth,
    #[error("month must be between 1 and 12")]
    InvalidMonth,
    #[error("that day does not exist in that month")]
    InvalidDay,
    #[error("date of birth is in the future")]
    InFuture,
    #[error("date of birth is too long ago")]
    TooOld,
}

/// A possible date of birth, year always known.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct BirthDate {
    year: i32,
    month: Option<Month>,
    day: Option<u8>,
}

impl BirthDate {
    /// Parses `YYYY-MM-DD`, `YYYY-MM`, `YYYY` (with `00` or nothing for the
    /// unknown parts), the DOPA form `YYYYMMDD`, or the Thai habit
    /// `DD/MM/YYYY`. The year may be B.E. (≥ 2400) or C.E.
    pub fn parse(input: &str, today: Date) -> Result<Self, BirthDateError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(BirthDateError::Empty);
        }
        let num = |p: &str| -> Result<u32, BirthDateError> {
            if p.is_empty() || p.len() > 4 || !p.bytes().all(|b| b.is_ascii_digit()) {
                return Err(BirthDateError::Malformed);
            }
            p.parse().map_err(|_| BirthDateError::Malformed)
        };
        let (y, m, d) = if s.contains('/') {
            let parts: Vec<&str> = s.split('/').collect();
            match parts.as_slice() {
                [d, m, y] => (num(y)?, num(m)?, num(d)?),
                [m, y] => (num(y)?, num(m)?, 0),
                _ => return Err(BirthDateError::Malformed),
            }
        } else if s.contains('-') {
            let parts: Vec<&str> = s.split('-').collect();
            match parts.as_slice() {
                [y, m, d] if y.len() == 4 => (num(y)?, num(m)?, num(d)?),
                [y, m] if y.len() == 4 => (num(y)?, num(m)?, 0),
                _ => return Err(BirthDateError::Malformed),
            }
        } else if s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()) {
            (num(&s[..4])?, num(&s[4..6])?, num(&s[6..])?)
        } else if s.len() == 4 {
            (num(s)?, 0, 0)
        } else {
            return Err(BirthDateError::Malformed);
        };
        let to_opt = |v: u32| -> Result<Option<u8>, BirthDateError> {
            match v {
                0 => Ok(None),
                v => u8::try_from(v)
                    .map(Some)
                    .map_err(|_| BirthDateError::Malformed),
            }
        };
        let year = i32::try_from(y).map_err(|_| BirthDateError::Malformed)?;
        Self::from_parts(year, to_opt(m)?, to_opt(d)?, today)
    }

    /// Builds from separate fields (the wizard's day / month / year inputs).
    /// `year` may be B.E. or C.E.; `0` means unknown.
    pub fn from_parts(
        year: i32,
        month: Option<u8>,
        day: Option<u8>,
        today: Date,
    ) -> Result<Self, BirthDateError> {
        let date = Self::checked(year, month.filter(|m| *m != 0), day.filter(|d| *d != 0))?;
        if date.earliest() > today {
            return Err(BirthDateError::InFuture);
        }
        Ok(date)
    }

    /// Shape checks only (no `today`): for values read back from storage.
    fn checked(year: i32, month: Option<u8>, day: Option<u8>) -> Result<Self, BirthDateError> {
        if year == 0 {
            return Err(BirthDateError::YearRequired);
        }
        let year = if year >= FIRST_BE_YEAR {
            year - BE_OFFSET
        } else {
            year
        };
        if year < EARLIEST_YEAR {
            return Err(BirthDateError::TooOld);
        }
        let month = match month {
            None => None,
            Some(m) => Some(Month::try_from(m).map_err(|_| BirthDateError::InvalidMonth)?),
        };
        if let Some(d) = day {
            let m = month.ok_or(BirthDateError::DayWithoutMonth)?;
            Date::from_calendar_date(year, m, d).map_err(|_| BirthDateError::InvalidDay)?;
        }
        Ok(Self { year, month, day })
    }

    /// The first day this partial date could mean; the future check uses it.
    fn earliest(self) -> Date {
        let month = self.month.unwrap_or(Month::January);
        let day = self.day.unwrap_or(1);
        Date::from_calendar_date(self.year, month, day).unwrap_or(Date::MIN)
    }

    pub fn year_ce(self) -> i32 {
        self.year
    }

    pub fn year_be(self) -> i32 {
        self.year + BE_OFFSET
    }

    /// 1–12 when known.
    pub fn month(self) -> Option<u8> {
        self.month.map(u8::from)
    }

    pub fn day(self) -> Option<u8> {
        self.day
    }

    /// B.E. `YYYYMMDD` with `00` for unknown parts: DOPA's `BirthDay`.
    pub fn dopa_be(self) -> String {
        format!(
            "{:04}{:02}{:02}",
            self.year_be(),
            self.month().unwrap_or(0),
            self.day.unwrap_or(0)
        )
    }

    /// C.E. `YYYY-MM-DD` with `00` for unknown parts: the registry file's
    /// form and the JSON API's.
    pub fn iso_with_zeros(self) -> String {
        format!(
            "{:04}-{:02}-{:02}",
            self.year,
            self.month().unwrap_or(0),
            self.day.unwrap_or(0)
        )
    }

    /// The OIDC `birthdate` claim (Core §5.1): `YYYY-MM-DD` when complete,
    /// otherwise `YYYY` — the standard has no year-month form.
    pub fn oidc_birthdate(self) -> String {
        match (self.month, self.day) {
            (Some(m), Some(d)) => format!("{:04}-{:02}-{d:02}", self.year, u8::from(m)),
            _ => format!("{:04}", self.year),
        }
    }

    pub fn to_partial(self) -> PartialDate {
        PartialDate {
            year: self.year,
            month: self.month(),
            day: self.day,
        }
    }
}

impl TryFrom<PartialDate> for BirthDate {
    type Error = BirthDateError;

    fn try_from(p: PartialDate) -> Result<Self, Self::Error> {
        if p.year >= FIRST_BE_YEAR {
            // Stored dates are C.E.; a B.E. year here is corrupt data.
            return Err(BirthDateError::Malformed);
        }
        Self::checked(p.year, p.month, p.day)
    }
}

impl fmt::Debug for BirthDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BirthDate([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::date;

    const TODAY: Date = date!(2026 - 01 - 01);

    fn parse(s: &str) -> Result<BirthDate, BirthDateError> {
        BirthDate::parse(s, TODAY)
    }

    #[test]
    fn buddhist_and_common_era_years_give_the_same_date() {
        let be = parse("2538-12-29").unwrap();
        let ce = parse("1995-12-29").unwrap();
        assert_eq!(be, ce);
        assert_eq!(ce.year_ce(), 1995);
        assert_eq!(ce.year_be(), 2538);
        assert_eq!(parse("2530-01-01").unwrap().year_ce(), 1987);
    }

    #[test]
    fn the_domain_table_converts_to_dopa_and_oidc_forms() {
        let full = parse("2538-12-29").unwrap();
        assert_eq!(full.dopa_be(), "25381229");
        assert_eq!(full.oidc_birthdate(), "1995-12-29");
        let month = parse("2538-12-00").unwrap();
        assert_eq!(month.dopa_be(), "25381200");
        assert_eq!(month.oidc_birthdate(), "1995");
        let year = parse("2538-00-00").unwrap();
        assert_eq!(year.dopa_be(), "25380000");
        assert_eq!(year.oidc_birthdate(), "1995");
        assert_eq!(year.iso_with_zeros(), "1995-00-00");
        assert_eq!(parse("25300101").unwrap().iso_with_zeros(), "1987-01-01");
    }

    #[test]
    fn short_slash_and_compact_forms_are_accepted() {
        assert_eq!(parse("1995").unwrap(), parse("1995-00-00").unwrap());
        assert_eq!(parse("1995-12").unwrap(), parse("1995-12-00").unwrap());
        assert_eq!(parse("29/12/2538").unwrap(), parse("1995-12-29").unwrap());
        assert_eq!(parse("12/2538").unwrap(), parse("1995-12-00").unwrap());
        assert_eq!(parse(" 19951229 ").unwrap(), parse("1995-12-29").unwrap());
    }

    #[test]
    fn impossible_dates_are_refused() {
        assert_eq!(parse("1995-02-30"), Err(BirthDateError::InvalidDay));
        assert_eq!(parse("1995-13-01"), Err(BirthDateError::InvalidMonth));
        assert_eq!(parse("1995-00-12"), Err(BirthDateError::DayWithoutMonth));
        assert_eq!(parse("0000-12-29"), Err(BirthDateError::YearRequired));
        assert_eq!(parse("1700-01-01"), Err(BirthDateError::TooOld));
        assert_eq!(parse("2001-02-29"), Err(BirthDateError::InvalidDay));
        assert!(parse("2000-02-29").is_ok());
    }

    #[test]
    fn future_dates_are_refused_in_either_era() {
        assert_eq!(parse("2026-01-02"), Err(BirthDateError::InFuture));
        assert_eq!(parse("2569-01-02"), Err(BirthDateError::InFuture));
        assert_eq!(parse("2027"), Err(BirthDateError::InFuture));
        assert!(parse("2026-01-01").is_ok());
        // The year is this year, the month unknown: possible.
        assert!(parse("2026").is_ok());
    }

    #[test]
    fn garbage_is_malformed() {
        for s in [
            "yesterday",
            "๒๕๓๘",
            "1995-12-2๙",
            "95-12-29",
            "1995-1a-01",
            "1995/12/29/1",
            "๒๕๓๘-๑๒-๒๙",
        ] {
            assert_eq!(parse(s), Err(BirthDateError::Malformed), "{s}");
        }
        assert_eq!(parse(" "), Err(BirthDateError::Empty));
    }

    #[test]
    fn partial_dates_round_trip_through_storage() {
        for s in ["1995-12-29", "1995-12-00", "1995-00-00"] {
            let d = parse(s).unwrap();
            assert_eq!(BirthDate::try_from(d.to_partial()).unwrap(), d);
        }
        let bad = PartialDate {
            year: 1995,
            month: None,
            day: Some(3),
        };
        assert_eq!(
            BirthDate::try_from(bad),
            Err(BirthDateError::DayWithoutMonth)
        );
    }

    #[test]
    fn debug_is_redacted() {
        assert_eq!(
            format!("{:?}", parse("1995").unwrap()),
            "BirthDate([redacted])"
        );
    }

    proptest! {
        #[test]
        fn every_real_past_date_round_trips_in_both_eras(days in 0i32..50_000, month_known: bool, day_known: bool) {
            let real = date!(1880 - 01 - 01) + time::Duration::days(i64::from(days));
            prop_assume!(real <= TODAY);
            let m = if month_known { u8::from(real.month()) } else { 0 };
            let d = if month_known && day_known { real.day() } else { 0 };
            let ce = format!("{:04}-{m:02}-{d:02}", real.year());
            let parsed = parse(&ce).unwrap();
            prop_assert_eq!(parsed.iso_with_zeros(), ce);
            let be = format!("{:04}-{m:02}-{d:02}", real.year() + 543);
            prop_assert_eq!(parse(&be).unwrap(), parsed);
            prop_assert_eq!(parse(&parsed.dopa_be()).unwrap(), parsed);
        }
    }
}
