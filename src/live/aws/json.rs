//! SDK shapes → JSON bodies with the API's own member names.
//!
//! The SDK's types do not implement `Serialize`, so each shape a reader returns gets a
//! [`Json`] impl from one line naming its members. The member names are the API's (Smithy
//! member names as in the API reference, e.g. `DBInstanceIdentifier`, `IpPermissions`);
//! they were taken from the SDK's own deserializers, not retyped. A member the API did not
//! return is left out of the object.

use serde_json::{Map, Value};

/// A value as it appears in a body; `None` when the member is absent.
pub(crate) trait Json {
    fn json(&self) -> Option<Value>;
}

impl Json for String {
    fn json(&self) -> Option<Value> {
        Some(Value::String(self.clone()))
    }
}

impl Json for bool {
    fn json(&self) -> Option<Value> {
        Some(Value::Bool(*self))
    }
}

macro_rules! json_number {
    ($($t:ty),*) => {$(
        impl Json for $t {
            fn json(&self) -> Option<Value> {
                Some(Value::from(*self))
            }
        }
    )*};
}
json_number!(i32, i64, f64);

impl<T: Json> Json for Option<T> {
    fn json(&self) -> Option<Value> {
        self.as_ref().and_then(Json::json)
    }
}

impl<T: Json> Json for Vec<T> {
    fn json(&self) -> Option<Value> {
        Some(Value::Array(self.iter().filter_map(Json::json).collect()))
    }
}

impl<T: Json> Json for Box<T> {
    fn json(&self) -> Option<Value> {
        (**self).json()
    }
}

impl<V: Json> Json for std::collections::HashMap<String, V> {
    fn json(&self) -> Option<Value> {
        // serde_json's Map is ordered by key: the same map always gives the same body.
        Some(Value::Object(
            self.iter()
                .filter_map(|(k, v)| v.json().map(|v| (k.clone(), v)))
                .collect(),
        ))
    }
}

impl Json for aws_sdk_sts::primitives::DateTime {
    fn json(&self) -> Option<Value> {
        self.fmt(aws_sdk_sts::primitives::DateTimeFormat::DateTime)
            .ok()
            .map(Value::String)
    }
}

/// Puts `member` into `object` when it has a value.
pub(crate) fn put(object: &mut Map<String, Value>, member: &str, value: &impl Json) {
    if let Some(v) = value.json() {
        object.insert(member.to_string(), v);
    }
}

/// `impl Json` for an SDK structure: `json_struct!(Type { "Member" => field, … });`
macro_rules! json_struct {
    ($t:ty { $($name:literal => $field:ident),* $(,)? }) => {
        impl $crate::live::aws::json::Json for $t {
            // Deprecated members (S3's lifecycle `Prefix`) are still what older resources hold.
            #[allow(deprecated)]
            fn json(&self) -> ::std::option::Option<serde_json::Value> {
                let mut m = serde_json::Map::new();
                $( $crate::live::aws::json::put(&mut m, $name, &self.$field); )*
                ::std::option::Option::Some(serde_json::Value::Object(m))
            }
        }
    };
}

/// `impl Json` for SDK enums: their wire value (`as_str`), unknown values included.
macro_rules! json_enum {
    ($($t:ty),* $(,)?) => {$(
        impl $crate::live::aws::json::Json for $t {
            fn json(&self) -> ::std::option::Option<serde_json::Value> {
                ::std::option::Option::Some(serde_json::Value::String(self.as_str().to_string()))
            }
        }
    )*};
}

pub(crate) use {json_enum, json_struct};

/// The body of one shape, an empty object if it has none.
pub(crate) fn body(value: &impl Json) -> Value {
    value.json().unwrap_or_else(|| Value::Object(Map::new()))
}
