//! The one page shell every console and connect page renders in (maud, escaped by default),
//! and the headers every console response carries (docs/console.md §2).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::{DOCTYPE, Markup, html};

/// The console's Content-Security-Policy: no inline script or style, nothing from elsewhere,
/// forms post to this origin only, never framed (docs/console.md §2).
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// What the left nav shows for a signed-in admin: the connections and, inside one, its kinds.
#[derive(Debug, Clone, Default)]
pub struct Nav {
    /// `(href, label)` links, in order.
    pub links: Vec<(String, String)>,
    /// The session's CSRF token, for the sign-out form.
    pub csrf_token: String,
}

/// The left nav of every per-connection page (docs/console.md §2): the connection's page, each
/// kind, the initial sync, health, activity, dead letters, and invoices & payments.
pub fn connection_nav(signed: &super::form::Signed, id: &str) -> Nav {
    let page = |path: &str, label: &str| (format!("/connections/{id}{path}"), label.to_owned());
    let mut links = vec![page("", &format!("Connection {id}"))];
    links.extend(
        crate::model::ObjectKind::ALL
            .into_iter()
            .map(|kind| page(&format!("/objects/{kind}"), kind.plural())),
    );
    links.extend([
        page("/initial-sync", "Initial sync"),
        page("/health", "Sync health"),
        page("/activity", "Activity"),
        page("/dead-letters", "Dead letters"),
        page("/invoices", "Invoices & payments"),
    ]);
    signed.nav(links)
}

/// A full document: `title` is both `<title>` and the page's one `<h1>`; `nav` is `None`
/// without a session (sign-in, connect failures).
pub fn document(title: &str, nav: Option<&Nav>, notice: Option<&str>, body: Markup) -> String {
    shell(title, nav, notice, None, body)
}

/// [`document`] that the browser reloads every `seconds` (`<meta http-equiv="refresh">` in the
/// head: the CSP forbids inline script, docs/console.md §2), for a page following work in
/// progress.
pub fn refreshing_document(
    title: &str,
    nav: Option<&Nav>,
    notice: Option<&str>,
    seconds: u32,
    body: Markup,
) -> String {
    shell(title, nav, notice, Some(seconds), body)
}

fn shell(
    title: &str,
    nav: Option<&Nav>,
    notice: Option<&str>,
    refresh_seconds: Option<u32>,
    body: Markup,
) -> String {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " - HQSync" }
                link rel="stylesheet" href=(super::assets::STYLESHEET_PATH);
                @if let Some(seconds) = refresh_seconds {
                    meta http-equiv="refresh" content=(seconds);
                }
            }
            body {
                header.top {
                    a.brand href="/" { "HQSync" }
                    @if let Some(nav) = nav {
                        form.sign-out method="post" action="/sign-out" {
                            input type="hidden" name="csrf_token" value=(nav.csrf_token);
                            button id="sign-out" type="submit" { "Sign out" }
                        }
                    }
                }
                div.frame {
                    @if let Some(nav) = nav {
                        nav.side aria-label="Console" {
                            ul {
                                @for (href, label) in &nav.links {
                                    li { a href=(href) { (label) } }
                                }
                            }
                        }
                    }
                    main id="main" {
                        h1 { (title) }
                        @if let Some(notice) = notice {
                            p.notice id="notice" role="status" { (notice) }
                        }
                        (body)
                    }
                }
            }
        }
    }
    .into_string()
}

/// `html` with `status` and the console headers.
pub fn respond(status: StatusCode, html: String) -> Response {
    with_console_headers((status, html).into_response())
}

/// Adds the headers every console page carries (HTML, the CSP, no referrer, no caching).
pub fn with_console_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    let fixed = [
        (header::CONTENT_TYPE, "text/html; charset=utf-8"),
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        // The connect callbacks carry authorization codes: never pass a URL on as a referrer.
        (header::REFERRER_POLICY, "no-referrer"),
        (header::CACHE_CONTROL, "no-store"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    ];
    for (name, value) in fixed {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

/// A page that only says why something was refused or failed, with a way back.
pub fn problem_page(status: StatusCode, title: &str, reason: &str, nav: Option<&Nav>) -> Response {
    let body = html! {
        p.problem id="problem" role="alert" { (reason) }
        p { a id="back-home" href="/" { "Back to the connections" } }
    };
    respond(status, document(title, nav, None, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shell_escapes_titles_notices_and_nav_labels() {
        let nav = Nav {
            links: vec![(
                "/x?a=1&b=\"2\"".into(),
                "<img src=x onerror=alert(1)>".into(),
            )],
            csrf_token: "t".into(),
        };
        let html = document("<b>t</b>", Some(&nav), Some("<script>n</script>"), html! {});
        assert!(!html.contains("<img"), "{html}");
        assert!(!html.contains("<script>"), "{html}");
        assert!(!html.contains("<b>"), "{html}");
        assert!(
            html.contains("&lt;img src=x onerror=alert(1)&gt;"),
            "{html}"
        );
        assert!(
            html.contains("href=\"/x?a=1&amp;b=&quot;2&quot;\""),
            "{html}"
        );
        assert_eq!(html.matches("<h1>").count(), 1);
    }

    #[test]
    fn every_page_forbids_inline_script_and_referrers() {
        let response = respond(StatusCode::OK, String::new());
        let csp = response.headers()[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap();
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"));
        assert_eq!(response.headers()[header::REFERRER_POLICY], "no-referrer");
        assert_eq!(
            response.headers()[header::X_CONTENT_TYPE_OPTIONS],
            "nosniff"
        );
    }
}
