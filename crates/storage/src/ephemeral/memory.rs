//! In-process ephemeral store (to be written).
