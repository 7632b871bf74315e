//! One-time codes sent by SMS (enrollment phone check, sign-in step-up).
//! Owned by the enrollment work; shared here so both feature crates use it.
