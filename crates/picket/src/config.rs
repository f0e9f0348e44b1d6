//! The site config file (TOML). Only the binary knows this format.
