//! Command-line values that are the library's own enums: each is parsed by its `FromStr`, and
//! `--help` lists its names, so the CLI never mirrors an engine enum by hand.

use std::str::FromStr;

use clap::builder::{PossibleValuesParser, TypedValueParser};
use vigil::Backend;
use vigil::matcher::IndexChoice;
use vigil::video::Gate;

/// An engine enum with names.
pub trait EngineEnum: FromStr<Err = String> + Copy + Send + Sync + 'static {
    /// Every value, in the order `--help` lists them.
    const ALL: &'static [Self];
    /// The value's name on the command line.
    fn name(self) -> &'static str;
}

/// The clap parser of an engine enum.
pub fn engine_value<T: EngineEnum>() -> impl TypedValueParser<Value = T> {
    PossibleValuesParser::new(T::ALL.iter().map(|value| value.name()))
        .try_map(|name| name.parse::<T>())
}

macro_rules! engine_enum {
    ($($t:ty),*) => {$(
        impl EngineEnum for $t {
            const ALL: &'static [Self] = &<$t>::ALL;
            fn name(self) -> &'static str {
                <$t>::name(self)
            }
        }
    )*};
}

engine_enum!(Backend, Gate, IndexChoice);
