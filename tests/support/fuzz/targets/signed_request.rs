//! A HubSpot-signed request as a fuzz input (method, URL, body, legacy switch, headers), for the
//! signature and workflow-action targets: mostly validly signed, then one part mutated.

use rand::Rng;
use rand::rngs::StdRng;
use sha2::{Digest, Sha256};

use hqsync::hubspot::webhook::SignedRequest;
use hqsync::hubspot::webhook::signature::{decode_reserved_escapes, sign_v3};

use super::{HUBSPOT_SECRET, NOW_MS, hubspot_secret};
use crate::fuzz::frame;
use crate::fuzz::mutate::{self, EDGE_NUMBERS, WEIRD_STRINGS, pick};

pub const URLS: &[&str] = &[
    "https://hooks.example.com/webhooks/hubspot",
    "https://www.example.com/webhook_uri",
    "https://hooks.example.com/hubspot/actions/create-invoice",
    "https://hooks.example.com/hubspot?portal=1%3A2&x=%20y",
    "https://h.example.com/a%2Fb%3Fc%40d%21%24%27%28%29%2A%2C%3B",
    "https://h.example.com/%",
    "https://h.example.com/%3",
    "https://h.example.com/%é%3a",
    "https://h.example.com/ünï/😀?q=%2c",
    "",
];

const METHODS: &[&str] = &[
    "POST", "post", "Post", "GET", "PUT", "", "PO ST", "pöst", "ß",
];

/// The parts of one inbound request.
#[derive(Debug, Clone, PartialEq)]
pub struct HubspotRequest {
    pub method: String,
    pub url: String,
    pub body: Vec<u8>,
    pub allow_legacy: bool,
    pub headers: Vec<(String, String)>,
}

impl HubspotRequest {
    pub fn encode(&self) -> Vec<u8> {
        let mut fields: Vec<Vec<u8>> = vec![
            self.method.clone().into_bytes(),
            self.url.clone().into_bytes(),
            self.body.clone(),
            vec![u8::from(self.allow_legacy)],
        ];
        for (name, value) in &self.headers {
            fields.push(name.clone().into_bytes());
            fields.push(value.clone().into_bytes());
        }
        frame::encode(fields)
    }

    /// Any bytes are a request (missing parts are empty).
    pub fn decode(bytes: &[u8]) -> Self {
        let fields = frame::decode(bytes);
        let headers = (4..fields.len())
            .step_by(2)
            .map(|i| (frame::text(&fields, i), frame::text(&fields, i + 1)))
            .collect();
        HubspotRequest {
            method: frame::text(&fields, 0),
            url: frame::text(&fields, 1),
            body: fields.get(2).map(|b| b.to_vec()).unwrap_or_default(),
            allow_legacy: fields.get(3).is_some_and(|f| f.first() == Some(&1)),
            headers,
        }
    }

    pub fn header_pairs(&self) -> Vec<(&str, &str)> {
        self.headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect()
    }

    pub fn signed<'a>(&'a self, pairs: &'a [(&'a str, &'a str)]) -> SignedRequest<'a> {
        SignedRequest::from_headers(&self.method, &self.url, &self.body, pairs.iter().copied())
    }

    /// A request for `body`, mostly validly signed (v3, sometimes v1/v2 or none), then with
    /// one part mutated half of the time.
    pub fn generate(rng: &mut StdRng, body: Vec<u8>) -> Self {
        let method = pick(rng, METHODS).to_string();
        let url = pick(rng, URLS).to_string();
        let timestamp = timestamp(rng);
        let mut headers = Vec::new();
        match rng.random_range(0..10) {
            0..=5 => {
                let over = if rng.random_ratio(1, 4) {
                    decode_reserved_escapes(&url)
                } else {
                    url.clone()
                };
                let signature = sign_v3(&hubspot_secret(), &method, &over, &body, &timestamp);
                headers.push((cased(rng, "X-HubSpot-Signature-v3"), signature));
                headers.push((cased(rng, "X-HubSpot-Request-Timestamp"), timestamp));
            }
            6 => headers.push((
                cased(rng, "X-HubSpot-Signature"),
                legacy(false, &method, &url, &body),
            )),
            7 => {
                headers.push((
                    cased(rng, "X-HubSpot-Signature"),
                    legacy(true, &method, &url, &body),
                ));
                let version = pick(rng, &["v2", "V2", " v2 ", "v1", "v3", "", "2"]);
                headers.push((
                    cased(rng, "X-HubSpot-Signature-Version"),
                    version.to_string(),
                ));
            }
            8 => {}
            _ => {
                headers.push((
                    cased(rng, "X-HubSpot-Signature-v3"),
                    mutate::edge_text(rng, &[]),
                ));
                headers.push((cased(rng, "X-HubSpot-Request-Timestamp"), timestamp));
            }
        }
        if rng.random_ratio(1, 3) {
            headers.insert(0, ("Content-Type".into(), "application/json".into()));
        }
        let mut request = HubspotRequest {
            method,
            url,
            body,
            allow_legacy: rng.random_ratio(1, 3),
            headers,
        };
        if rng.random_bool(0.5) {
            request.mutate_one(rng);
        }
        request
    }

    /// Mutates one part: a header value or name, the body, the URL or the method, or adds,
    /// drops or duplicates a header.
    fn mutate_one(&mut self, rng: &mut StdRng) {
        let text = |rng: &mut StdRng, s: &mut String| {
            let mut bytes = std::mem::take(s).into_bytes();
            mutate::bytes_n(rng, &mut bytes, &[], WEIRD_STRINGS, 2);
            *s = String::from_utf8_lossy(&bytes).into_owned();
        };
        let n = self.headers.len();
        match rng.random_range(0..8) {
            0 | 1 if n > 0 => {
                let i = rng.random_range(0..n);
                text(rng, &mut self.headers[i].1);
            }
            2 if n > 0 => {
                let i = rng.random_range(0..n);
                self.headers[i].1 = pick(rng, EDGE_NUMBERS).to_string();
            }
            3 if n > 0 => {
                let i = rng.random_range(0..n);
                if rng.random_bool(0.5) {
                    self.headers.remove(i);
                } else {
                    let copy = self.headers[i].clone();
                    self.headers.push(copy);
                }
            }
            4 => mutate::bytes_n(rng, &mut self.body, &[], &[], 2),
            5 => text(rng, &mut self.url),
            6 => text(rng, &mut self.method),
            _ if n > 0 => {
                let i = rng.random_range(0..n);
                text(rng, &mut self.headers[i].0);
            }
            _ => {}
        }
    }
}

/// `X-HubSpot-Request-Timestamp`: mostly near the fixed now (inside and outside the 5-minute
/// window, at its edges), sometimes an edge number or odd text.
fn timestamp(rng: &mut StdRng) -> String {
    match rng.random_range(0..10) {
        0..=5 => (NOW_MS + rng.random_range(-350_000..350_000)).to_string(),
        6 => (NOW_MS + pick(rng, &[-300_001, -300_000, 0, 300_000, 300_001])).to_string(),
        7 => format!(" {} ", NOW_MS - 1),
        8 => pick(rng, EDGE_NUMBERS).to_string(),
        _ => mutate::edge_text(rng, &[]),
    }
}

fn cased(rng: &mut StdRng, name: &str) -> String {
    match rng.random_range(0..3) {
        0 => name.to_owned(),
        1 => name.to_ascii_lowercase(),
        _ => name.to_ascii_uppercase(),
    }
}

/// v1 `hex(sha256(secret + body))`, v2 `hex(sha256(secret + METHOD + url + body))`
/// (docs/hubspot.md §5.5).
pub fn legacy(v2: bool, method: &str, url: &str, body: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(HUBSPOT_SECRET.as_bytes());
    if v2 {
        hasher.update(method.to_ascii_uppercase().as_bytes());
        hasher.update(url.as_bytes());
    }
    hasher.update(body);
    hex::encode(hasher.finalize())
}
