//! Paths to the shared reference data and readers for its CSV files.
