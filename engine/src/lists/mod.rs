//! Hash lists: reading and writing the text, CSV, vPDQ and binary formats.
