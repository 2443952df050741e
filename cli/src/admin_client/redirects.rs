//! Following the connect flow's redirect chain without a browser (`hqsync connect` against a
//! local `hqsync dev`): the session cookie goes to our own origin only, never to a vendor's.

use reqwest::StatusCode;
use reqwest::header::LOCATION;
use url::Url;

use super::{AdminClient, AdminError};

/// More hops than the flow has (ours → HubSpot → ours → Intuit → ours → the page) plus slack.
pub const MAX_HOPS: usize = 12;

/// Where a followed chain ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlowEnd {
    /// On our page of connection `id` (`GET /connections/{id}`): the flow went through.
    Connection { id: String },
    /// On any other page (what went wrong and what to do, as the page says it).
    Page { status: StatusCode, text: String },
}

/// Follows redirects from `start` to the first answer that is not one.
pub async fn follow(client: &AdminClient, start: Url) -> Result<FlowEnd, AdminError> {
    let mut url = start;
    for _ in 0..MAX_HOPS {
        let response = client.fetch(&url).await?;
        let status = response.status();
        if status.is_redirection() {
            let location = response
                .headers()
                .get(LOCATION)
                .and_then(|v| v.to_str().ok())
                .ok_or_else(|| AdminError::Unexpected {
                    path: url.path().to_owned(),
                    reason: format!("{status} without a Location header"),
                })?;
            url = url.join(location).map_err(|_| AdminError::Unexpected {
                path: url.path().to_owned(),
                reason: "a redirect to an address that is not a URL".into(),
            })?;
            continue;
        }
        if status.is_success()
            && client.is_own_origin(&url)
            && let Some(id) = connection_page_id(client.api(), &url)
        {
            return Ok(FlowEnd::Connection { id });
        }
        let body = response.text().await.unwrap_or_default();
        return Ok(FlowEnd::Page {
            status,
            text: page_text(&body),
        });
    }
    Err(AdminError::Unexpected {
        path: "/connect".into(),
        reason: format!("more than {MAX_HOPS} redirects"),
    })
}

/// `{id}` when `url` is `{api}/connections/{id}`.
pub fn connection_page_id(api: &Url, url: &Url) -> Option<String> {
    let base = api.path().trim_end_matches('/');
    let rest = url
        .path()
        .strip_prefix(base)?
        .strip_prefix("/connections/")?;
    let rest = rest.trim_end_matches('/');
    if rest.is_empty() || rest.contains('/') {
        return None;
    }
    let id = percent_decode(rest);
    (!id.is_empty()).then_some(id)
}

fn percent_decode(text: &str) -> String {
    url::form_urlencoded::parse(format!("x={}", text.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| text.to_owned())
}

/// The readable text of an HTML page: tags, scripts and styles dropped, common entities
/// decoded, whitespace collapsed.
pub fn page_text(html: &str) -> String {
    let mut text = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        text.push_str(&rest[..start]);
        let tail = &rest[start..];
        let lower = tail.get(..7).unwrap_or(tail).to_ascii_lowercase();
        let skip_to = if lower.starts_with("<script") {
            "</script>"
        } else if lower.starts_with("<style") {
            "</style>"
        } else {
            ">"
        };
        let lower_tail = tail.to_ascii_lowercase();
        match lower_tail.find(skip_to) {
            Some(end) => {
                text.push(' ');
                rest = &tail[end + skip_to.len()..];
            }
            None => {
                rest = "";
            }
        }
    }
    text.push_str(rest);
    let decoded = text
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&");
    decoded.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_connection_page_is_recognised_under_the_api_base() {
        let api = Url::parse("http://127.0.0.1:4030").unwrap();
        let page = |p: &str| api.join(p).unwrap();
        assert_eq!(
            connection_page_id(&api, &page("/connections/c-1")).as_deref(),
            Some("c-1")
        );
        assert_eq!(
            connection_page_id(&api, &page("/connections/a%20b")).as_deref(),
            Some("a b")
        );
        assert_eq!(connection_page_id(&api, &page("/connections/")), None);
        assert_eq!(connection_page_id(&api, &page("/connections/a/b")), None);
        assert_eq!(
            connection_page_id(&api, &page("/oauth/hubspot/callback")),
            None
        );
        let staged = Url::parse("https://x.example/prod").unwrap();
        assert_eq!(
            connection_page_id(&staged, &staged.join("/prod/connections/k").unwrap()).as_deref(),
            Some("k")
        );
    }

    #[test]
    fn a_page_reads_as_its_text() {
        let html = "<html><head><style>p{}</style><script>x<1</script></head>\
                    <body><h1>Connection failed</h1>\n<p>The state was &quot;used&quot; &amp; \
                    expired.</p></body></html>";
        assert_eq!(
            page_text(html),
            "Connection failed The state was \"used\" & expired."
        );
    }
}
