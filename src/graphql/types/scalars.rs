//! relgate's own scalars.

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::Utc;

/// An instant, as an RFC 3339 date-time in UTC (see [`ScalarType`] impl for
/// the exact form).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateTime(pub chrono::DateTime<Utc>);

impl From<chrono::DateTime<Utc>> for DateTime {
    fn from(t: chrono::DateTime<Utc>) -> Self {
        Self(t)
    }
}

/// An instant in time, as an RFC 3339 date-time string in UTC: date, `T`,
/// time with 0, 3, 6 or 9 fractional digits (as many as the instant needs),
/// and the offset `+00:00`, e.g. `2026-12-01T08:40:12.520631+00:00`.
/// Parse it with any RFC 3339 / ISO 8601 parser (`new Date(s)`,
/// `datetime.fromisoformat(s)`) and compare parsed values, not strings (the
/// number of fractional digits varies). As input, any RFC 3339 date-time
/// with an offset is accepted.
#[Scalar(
    name = "DateTime",
    specified_by_url = "https://www.rfc-editor.org/rfc/rfc3339"
)]
impl ScalarType for DateTime {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => chrono::DateTime::parse_from_rfc3339(s)
                .map(|t| Self(t.with_timezone(&Utc)))
                .map_err(|_| {
                    InputValueError::custom(format!(
                        "{s:?} is not an RFC 3339 date-time like 2026-12-01T08:40:12Z"
                    ))
                }),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_rfc3339())
    }
}
