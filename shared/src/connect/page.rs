//! The connect flow's HTML pages: one plain, escaped layout (no script, no style, a strict
//! Content-Security-Policy, no referrer) that says what happened and what to do next.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// One page: a title, sentences, and links (href, label). Everything is escaped on render.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub status: StatusCode,
    pub title: String,
    pub paragraphs: Vec<String>,
    pub links: Vec<(String, String)>,
}

impl Page {
    pub fn new(status: StatusCode, title: impl Into<String>) -> Self {
        Page {
            status,
            title: title.into(),
            paragraphs: Vec::new(),
            links: Vec::new(),
        }
    }

    pub fn says(mut self, paragraph: impl Into<String>) -> Self {
        self.paragraphs.push(paragraph.into());
        self
    }

    pub fn link(mut self, href: impl Into<String>, label: impl Into<String>) -> Self {
        self.links.push((href.into(), label.into()));
        self
    }

    /// The document.
    pub fn html(&self) -> String {
        let mut body = format!(
            "<!doctype html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"><title>{} - HQSync</title></head>\n<body>\n<h1>{}</h1>\n",
            escape(&self.title),
            escape(&self.title)
        );
        for paragraph in &self.paragraphs {
            body.push_str(&format!("<p>{}</p>\n", escape(paragraph)));
        }
        if !self.links.is_empty() {
            body.push_str("<ul>\n");
            for (href, label) in &self.links {
                body.push_str(&format!(
                    "<li><a href=\"{}\">{}</a></li>\n",
                    escape(href),
                    escape(label)
                ));
            }
            body.push_str("</ul>\n");
        }
        body.push_str("</body>\n</html>\n");
        body
    }
}

impl IntoResponse for Page {
    fn into_response(self) -> Response {
        let mut response = (self.status, self.html()).into_response();
        let headers = response.headers_mut();
        let fixed = [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            // No script, style, frame or form from anywhere: the pages are text and links.
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; frame-ancestors 'none'; form-action 'none'; base-uri 'none'",
            ),
            // The callback URLs carry authorization codes: never pass them on as a referrer.
            (header::REFERRER_POLICY, "no-referrer"),
            (header::CACHE_CONTROL, "no-store"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ];
        for (name, value) in fixed {
            headers.insert(name, HeaderValue::from_static(value));
        }
        response
    }
}

/// HTML-escapes text for element content and double-quoted attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_escape_everything_they_show() {
        let html = Page::new(StatusCode::BAD_REQUEST, "<b>x</b>")
            .says("a \"quote\" & <script>alert(1)</script>")
            .link("/connect?environment=local&x=\"y\"", "start 'again'")
            .html();
        assert!(!html.contains("<script>"), "{html}");
        assert!(!html.contains("<b>"), "{html}");
        assert!(html.contains("&lt;script&gt;"));
        assert!(html.contains("href=\"/connect?environment=local&amp;x=&quot;y&quot;\""));
        assert!(html.contains("start &#39;again&#39;"));
    }

    #[test]
    fn pages_forbid_scripts_and_referrers() {
        let response = Page::new(StatusCode::OK, "t").into_response();
        let csp = response.headers()[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap();
        assert!(csp.contains("default-src 'none'"), "{csp}");
        assert_eq!(response.headers()[header::REFERRER_POLICY], "no-referrer");
        assert_eq!(response.headers()[header::CACHE_CONTROL], "no-store");
    }
}
