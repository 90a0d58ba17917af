//! The template functions of Helm (helm v4.2.3): sprig v3.3.0's and Helm's own pure ones
//! (`toYaml`, `fromYaml`, `toJson`, `toToml`, ...), for `gotmpl`, whose builtins (`and`,
//! `or`, `not`, `eq`, `len`, `index`, `printf`, ...) come with it. The engine adds the
//! functions that need the template set (`include`, `tpl`, `required`, `fail`, `lookup`).
//!
//! [`function_map`] gives them; [`to_value`]/[`from_value`] convert between JSON and
//! template values with Helm's number semantics (every number of a values file is a Go
//! `float64`).
//!
//! # How close to Go
//!
//! Functions check their arguments as Go's `text/template` does before calling: a `string`
//! parameter takes only a string (nil gives `invalid value; expected string`, a number
//! `wrong type for value; expected string; got float64`), an `int` parameter only an
//! integer (so `indent .Values.n` fails with a float from values, as in Helm), a
//! `map[string]interface {}` parameter a map or nil. Errors that Go reports from inside a
//! function read `error calling NAME: MESSAGE`, with Go's message where it is known.
//!
//! Known differences, all from what a template [`Value`] can hold:
//! - **Maps are immutable.** [`Value::Map`] is an `Arc`; a function cannot change the map
//!   its caller holds. `set`, `unset`, `merge`, `mergeOverwrite`, `mustMerge` and
//!   `mustMergeOverwrite` return the changed map (as Go's also do) but do not change their
//!   first argument, so `{{ $_ := set $d "k" "v" }}` leaves `$d` unchanged here, while Go
//!   changes `$d` and every other reference to the same map (`.Values` seen from other
//!   templates included). [`MUTATING_FUNCTIONS`] lists them for the engine, which rewrites
//!   such calls into assignments (`engine.rs`, "Mutation").
//! - **Integers are one kind.** Go tells `int` from `int64` (`add` returns `int64`, which
//!   an `int` parameter refuses); here both are [`Value::Int`], reported as `int` by
//!   `typeOf`/`kindOf`.
//! - **Nil and empty lists are one kind.** Go's `concat` of empty lists and `rest` of an
//!   empty list give a nil slice, which `toYaml`/`toJson` write as `null`; here `[]`.
//! - **Map order.** `keys` and `values` return keys in sorted order (Go's are random).
//! - **Random and crypto functions give placeholders** (see [`crypto`]'s table and
//!   [`is_placeholder`]); **the clock is fixed** at [`FIXED_NOW_UNIX`] (see [`time`]).
//! - **Go objects are maps or strings**: a `time.Time` is its Go text (`typeOf now` is
//!   `string`), `semver`'s version and the certificates are maps of their fields/methods
//!   (`(semver "1.2.3").Major` works; printing one gives `map[...]`, not `1.2.3`).
//! - **Strings are UTF-8**: `trunc` and `substr` cut at character boundaries where Go cuts
//!   bytes.
//!
//! `gotmpl` itself prints a [`Value::Float`] with Rust's `Display` (`{{ .Values.n }}`,
//! `print`, `printf "%v"`, floats inside printed lists and maps), which differs from Go's
//! `%v` from 1e6 up and below 1e-4 (`10000000` where Go prints `1e+07`, `0.00001` where Go
//! prints `1e-05`, `inf` where Go prints `+Inf`); the functions here format numbers as Go
//! does ([`format_float_v`], [`go_sprint`]), so `toString`, `quote`, `join` and the rest
//! agree with Helm, and the engine ends every printing action in a call of [`go_sprint`]
//! (`__print`). [`go_struct`] makes a map that stands for a Go struct: fields for access,
//! its own `%v` text and its own JSON marshalling.

pub mod collections;
pub mod convert;
pub mod crypto;
pub mod json;
pub mod math;
pub mod misc;
pub mod regex;
pub mod semver;
pub mod strings;
pub mod time;
pub mod toml;
pub mod yaml;

use std::sync::Arc;

use gotmpl::{FuncMap, Result, Value};

pub use convert::{
    format_float_v, from_value, go_sprint, go_struct, to_value, to_value_ints, GO_JSON_KEY,
    GO_PRINT_KEY,
};
pub use crypto::{is_placeholder, PLACEHOLDER_UUID};
pub use time::{FIXED_NOW_TEXT, FIXED_NOW_UNIX};

/// The functions that change their first argument (a map) in Go and return it: `set`,
/// `unset`, `merge`, `mergeOverwrite`, `mustMerge`, `mustMergeOverwrite`. Here they return
/// the changed map only; an engine that wants Go's behaviour assigns the result back to
/// whatever the first argument was read from.
pub const MUTATING_FUNCTIONS: &[&str] = &[
    "set",
    "unset",
    "merge",
    "mergeOverwrite",
    "mustMerge",
    "mustMergeOverwrite",
];

/// A function of the map: its name (for error messages) and arguments.
pub(crate) type Fun = fn(&str, &[Value]) -> Result<Value>;

/// Registers `f` under `name`.
pub(crate) fn reg(m: &mut FuncMap, name: &'static str, f: Fun) {
    m.insert(name.into(), Arc::new(move |args: &[Value]| f(name, args)));
}

/// Every function of Helm's map except `include`, `tpl`, `required`, `fail` and `lookup`
/// (and `env`/`expandenv`, which Helm removes), with `now` at [`FIXED_NOW_UNIX`].
pub fn function_map() -> FuncMap {
    function_map_at(FIXED_NOW_UNIX)
}

/// [`function_map`] with `now` at `now_unix` (seconds since the Unix epoch, UTC).
pub fn function_map_at(now_unix: i64) -> FuncMap {
    let mut m = FuncMap::new();
    strings::register(&mut m);
    collections::register(&mut m);
    math::register(&mut m);
    semver::register(&mut m);
    regex::register(&mut m);
    crypto::register(&mut m);
    misc::register(&mut m);
    time::register(&mut m, now_unix);
    m
}

#[cfg(test)]
mod tests;
