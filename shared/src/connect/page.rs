//! The connect flow's HTML pages: sentences and links in the console's page shell (escaped,
//! the console's Content-Security-Policy, no referrer) saying what happened and what's next.

use axum::http::StatusCode;
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

    /// The document, in the console's one page shell (`console/layout.rs`).
    pub fn html(&self) -> String {
        let body = maud::html! {
            @for paragraph in &self.paragraphs {
                p { (paragraph) }
            }
            @if !self.links.is_empty() {
                ul {
                    @for (href, label) in &self.links {
                        li { a href=(href) { (label) } }
                    }
                }
            }
        };
        crate::console::layout::document(&self.title, None, None, body)
    }
}

impl IntoResponse for Page {
    fn into_response(self) -> Response {
        // The console's headers: no inline script or style, no referrer (the callback URLs
        // carry authorization codes), no caching.
        crate::console::layout::respond(self.status, self.html())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::header;

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
        assert!(html.contains("start 'again'"), "{html}");
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
