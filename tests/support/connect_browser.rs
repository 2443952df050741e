//! A browser's part of the connect flow against our server and the sandboxes: follows every
//! redirect, keeps our cookies, and (in `Browser` mode) withholds the SameSite=Strict session
//! cookie once the navigation has passed through another site, as browsers do.

use reqwest::{StatusCode, Url};

use crate::admin_server::{AdminServer, SignedIn};

/// How cookies go to our origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CookiePolicy {
    /// A browser: the session cookie (SameSite=Strict) is not sent on a navigation that came
    /// through another site; the connect flow's Lax cookie is.
    Browser,
    /// The CLI or curl: every cookie of our origin on every request to it.
    EveryRequest,
}

/// Where a navigation ended, and every URL it went through.
#[derive(Debug, Clone)]
pub struct Landing {
    pub url: Url,
    pub status: StatusCode,
    pub body: String,
    /// Each URL requested, in order (the first is where the navigation started).
    pub hops: Vec<Url>,
}

impl Landing {
    /// The first hop whose path is `path` (a callback URL to replay).
    pub fn hop(&self, path: &str) -> Option<&Url> {
        self.hops.iter().find(|u| u.path() == path)
    }
}

pub struct ConnectBrowser {
    client: reqwest::Client,
    ours: Url,
    session_cookie: Option<String>,
    binding_cookie: Option<String>,
    policy: CookiePolicy,
}

impl ConnectBrowser {
    /// A browser of `admin`'s session (none: a browser that never signed in).
    pub fn new(server: &AdminServer, admin: Option<&SignedIn>, policy: CookiePolicy) -> Self {
        ConnectBrowser {
            client: AdminServer::client(),
            ours: Url::parse(&server.base_url).expect("server URL"),
            session_cookie: admin.map(|a| a.cookie.clone()),
            binding_cookie: None,
            policy,
        }
    }

    fn is_ours(&self, url: &Url) -> bool {
        url.origin() == self.ours.origin()
    }

    /// Opens `path_or_url` (a path is on our server) and follows the redirects.
    pub async fn open(&mut self, path_or_url: &str) -> Landing {
        let start = self.ours.join(path_or_url).expect("a URL");
        self.follow(start, false).await
    }

    /// Opens `url` as if arriving from another site (a vendor's redirect replayed).
    pub async fn arrive_from_vendor(&mut self, url: &Url) -> Landing {
        self.follow(url.clone(), true).await
    }

    async fn follow(&mut self, start: Url, from_other_site: bool) -> Landing {
        let mut url = start;
        let mut cross_site = from_other_site;
        let mut hops = Vec::new();
        for _ in 0..12 {
            hops.push(url.clone());
            let mut request = self.client.get(url.clone());
            if self.is_ours(&url) {
                let mut cookies = Vec::new();
                if let Some(session) = &self.session_cookie
                    && (self.policy == CookiePolicy::EveryRequest || !cross_site)
                {
                    cookies.push(session.clone());
                }
                if let Some(binding) = &self.binding_cookie {
                    cookies.push(binding.clone());
                }
                if !cookies.is_empty() {
                    request = request.header(reqwest::header::COOKIE, cookies.join("; "));
                }
            } else {
                cross_site = true;
            }
            let response = request.send().await.expect("a navigation request");
            if self.is_ours(&url) {
                for set in response.headers().get_all(reqwest::header::SET_COOKIE) {
                    let pair = set
                        .to_str()
                        .unwrap_or_default()
                        .split(';')
                        .next()
                        .unwrap_or_default();
                    if pair.starts_with("hqsync_oauth=") {
                        self.binding_cookie = Some(pair.to_owned());
                    }
                }
            }
            let status = response.status();
            if status.is_redirection() {
                let location = response.headers()[reqwest::header::LOCATION]
                    .to_str()
                    .expect("a Location header")
                    .to_owned();
                url = url.join(&location).expect("a Location URL");
                continue;
            }
            let body = response.text().await.unwrap_or_default();
            return Landing {
                url,
                status,
                body,
                hops,
            };
        }
        panic!("more than 12 redirects: {hops:?}");
    }
}
