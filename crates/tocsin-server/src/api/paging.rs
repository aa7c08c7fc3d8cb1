//! Paged lists over HTTP. A list answers at most `limit` rows (1..=1000) newest first; when it
//! was cut, the answer's `Link: <…&before=CURSOR>; rel="next"` header (RFC 8288) is the request
//! for the next page, and `X-More: true` says so to clients that do not read links. The body
//! stays the list itself, so a page is read the way the whole list was.

use crate::error::ApiError;
use axum::http::{HeaderValue, Uri, header};
use axum::response::Response;
use tocsin_engine::{Cursor, Page, Paged};

/// The `before` cursor of a list request, checked against the list's rows.
pub(crate) fn before<T: Paged>(text: Option<&str>) -> Result<Option<Cursor>, ApiError> {
    let Some(text) = text.filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    Cursor::parse(text, T::ARITY).map(Some).ok_or_else(|| {
        ApiError::bad_request(format!(
            "before: {text:?} is not a cursor of this list (the `before=` of a `Link: rel=\"next\"` header)"
        ))
    })
}

/// `response` with the headers that lead to the page after `page`, when there is one.
pub(crate) fn with_next<T>(mut response: Response, uri: &Uri, page: &Page<T>) -> Response {
    let Some(next) = &page.next else {
        return response;
    };
    let link = format!("<{}>; rel=\"next\"", next_page(uri, next));
    if let Ok(value) = HeaderValue::from_str(&link) {
        response.headers_mut().insert(header::LINK, value);
        response
            .headers_mut()
            .insert("x-more", HeaderValue::from_static("true"));
    }
    response
}

/// The request `uri` made, for the page that starts after `next`.
fn next_page(uri: &Uri, next: &Cursor) -> String {
    let mut pairs: Vec<&str> = uri
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|pair| !pair.is_empty() && !pair.starts_with("before="))
        .collect();
    let before = format!("before={next}");
    pairs.push(&before);
    format!("{}?{}", uri.path(), pairs.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_page_keeps_the_query_and_replaces_the_cursor() {
        let uri: Uri = "/api/v1/notifications?warning=3&before=9.9&limit=2"
            .parse()
            .unwrap();
        let next = Cursor::new(vec![1_700_000_000_000, 41]);
        assert_eq!(
            next_page(&uri, &next),
            "/api/v1/notifications?warning=3&limit=2&before=1700000000000.41"
        );
        let bare: Uri = "/api/v1/incidents".parse().unwrap();
        assert_eq!(
            next_page(&bare, &Cursor::new(vec![7])),
            "/api/v1/incidents?before=7"
        );
    }
}
