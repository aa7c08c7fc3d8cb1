//! One error type for every handler: a clear message for the client, internals only in the log.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use tocsin_engine::EngineError;

/// An error answer: status and a message that names the field and the reason.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    pub details: Option<serde_json::Value>,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
            details: None,
        }
    }

    /// 422 listing each invalid station with its field and reason.
    pub fn invalid_stations(errors: &[tocsin_core::station::StationError]) -> ApiError {
        let details: Vec<_> = errors
            .iter()
            .map(|e| json!({"station": e.station, "field": e.field, "reason": e.reason}))
            .collect();
        ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            message: format!("{} station(s) invalid; nothing was stored", errors.len()),
            details: Some(json!(details)),
        }
    }

    /// 422 listing each invalid record with its field and reason.
    pub fn invalid_records(errors: &[tocsin_engine::engine::RecordError]) -> ApiError {
        let details: Vec<_> = errors
            .iter()
            .map(|e| json!({"record": e.record, "field": e.field, "reason": e.reason}))
            .collect();
        ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            message: format!(
                "{} invalid: {}; nothing was stored",
                if errors.len() == 1 {
                    "1 record".to_string()
                } else {
                    format!("{} records", errors.len())
                },
                errors
                    .iter()
                    .map(|e| e.to_string())
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
            details: Some(json!(details)),
        }
    }

    /// 422 listing every problem of a drill scenario (file and place named).
    pub fn invalid_scenario(problems: &[String]) -> ApiError {
        ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            message: format!(
                "the scenario has {} problem(s); no drill started",
                problems.len()
            ),
            details: Some(json!(problems)),
        }
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }
}

impl From<EngineError> for ApiError {
    fn from(error: EngineError) -> ApiError {
        match error {
            EngineError::NotFound(m) => ApiError::new(StatusCode::NOT_FOUND, m),
            EngineError::Forbidden(m) => ApiError::new(StatusCode::FORBIDDEN, m),
            EngineError::Invalid(m) => ApiError::new(StatusCode::BAD_REQUEST, m),
            EngineError::Conflict(m) => ApiError::new(StatusCode::CONFLICT, m),
            EngineError::InvalidStations(errors) => ApiError::invalid_stations(&errors),
            EngineError::InvalidRecords(errors) => ApiError::invalid_records(&errors),
            EngineError::Write(e) => {
                tracing::error!(error = %e, "write failed");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "the observations could not be stored durably; nothing was acknowledged, retry later",
                )
            }
            EngineError::Store(tocsin_engine::StoreError::Conflict(m)) => {
                ApiError::new(StatusCode::CONFLICT, m)
            }
            EngineError::Store(tocsin_engine::StoreError::NotFound(m)) => {
                ApiError::new(StatusCode::NOT_FOUND, m)
            }
            EngineError::Store(e) => {
                tracing::error!(error = %e, "store failed");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal storage error; see the server log",
                )
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = json!({ "error": self.message });
        if let Some(details) = self.details {
            body["details"] = details;
        }
        (self.status, Json(body)).into_response()
    }
}
