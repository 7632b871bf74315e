//! Redis ephemeral store (to be written).
