//! `HubspotClient` over real HTTP: a scripted stand-in server for exact retry/error paths, and
//! the HubSpot sandbox for every endpoint (success and error paths, hubspot-api.md §2-§4).

mod scripted {
    //! A server that answers from a script and records each request, to pin down retry rules
    //! (which calls repeat after which failure), request shapes and the search partitioning.

    use std::collections::VecDeque;
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use axum::body::Bytes;
    use axum::extract::State;
    use axum::http::{HeaderMap, Method, StatusCode, Uri};
    use axum::response::{IntoResponse, Response};
    use hqsync::http::RetryPolicy;
    use hqsync::hubspot::oauth::OAuthApp;
    use hqsync::hubspot::{
        CreateInput, Filter, FilterGroup, GetOptions, HubspotBudgets, HubspotClient, HubspotError,
        ItemOutcome, ObjectType, RateLimitPolicy, SearchRequest, UpdateInput,
    };
    use secrecy::{ExposeSecret, SecretString};
    use serde_json::{Value, json};

    /// One request as the server saw it.
    #[derive(Debug, Clone)]
    struct Seen {
        method: Method,
        path: String,
        query: String,
        headers: HeaderMap,
        body: Bytes,
    }

    impl Seen {
        fn json(&self) -> Value {
            serde_json::from_slice(&self.body).unwrap_or(Value::Null)
        }
    }

    type Answer = Box<dyn Fn(&Seen) -> (u16, Vec<(&'static str, String)>, String) + Send + Sync>;

    #[derive(Default)]
    struct Script {
        answers: Mutex<VecDeque<Answer>>,
        /// Used when the queue is empty.
        fallback: Mutex<Option<Answer>>,
        seen: Mutex<Vec<Seen>>,
    }

    async fn handle(
        State(script): State<Arc<Script>>,
        method: Method,
        uri: Uri,
        headers: HeaderMap,
        body: Bytes,
    ) -> Response {
        let seen = Seen {
            method,
            path: uri.path().to_owned(),
            query: uri.query().unwrap_or("").to_owned(),
            headers,
            body,
        };
        script.seen.lock().unwrap().push(seen.clone());
        let next = script.answers.lock().unwrap().pop_front();
        let (status, headers, body) = match next {
            Some(answer) => answer(&seen),
            None => match &*script.fallback.lock().unwrap() {
                Some(answer) => answer(&seen),
                None => (599, vec![], "script exhausted".into()),
            },
        };
        let mut response = (StatusCode::from_u16(status).unwrap(), body).into_response();
        response
            .headers_mut()
            .insert("content-type", "application/json".parse().unwrap());
        for (k, v) in headers {
            response.headers_mut().insert(k, v.parse().unwrap());
        }
        response
    }

    async fn serve(script: Arc<Script>) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = axum::Router::new().fallback(handle).with_state(script);
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        format!("http://{addr}")
    }

    fn fixed(status: u16, body: impl Into<String>) -> Answer {
        let body = body.into();
        Box::new(move |_| (status, vec![], body.clone()))
    }

    fn fixture(name: &str) -> String {
        hqsync_tests::fixtures::text("hubspot", name)
    }

    const FAST: RetryPolicy = RetryPolicy {
        max_transient_retries: 3,
        max_throttle_waits: 3,
        min_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(5),
    };

    async fn client_with(answers: Vec<Answer>) -> (HubspotClient, Arc<Script>) {
        let script = Arc::new(Script {
            answers: Mutex::new(answers.into()),
            ..Default::default()
        });
        let base = serve(script.clone()).await;
        let client = HubspotClient::builder(SecretString::from("token-1"))
            .base_url(base)
            .budgets(HubspotBudgets::unlimited())
            .retry_policy(FAST)
            .build()
            .unwrap();
        (client, script)
    }

    fn seen(script: &Script) -> Vec<Seen> {
        script.seen.lock().unwrap().clone()
    }

    #[tokio::test]
    async fn a_create_is_not_repeated_after_a_5xx() {
        let (client, script) = client_with(vec![fixed(503, "")]).await;
        let input = CreateInput::new([("email".to_owned(), "a@x.com".to_owned())].into());
        let err = client
            .create_object(ObjectType::Contacts, &input)
            .await
            .unwrap_err();
        assert!(
            matches!(err, HubspotError::Transient { status: 503, .. }),
            "{err:?}"
        );
        assert_eq!(
            seen(&script).len(),
            1,
            "a create whose outcome is unknown is not resent"
        );
    }

    #[tokio::test]
    async fn a_create_is_repeated_after_a_429_which_was_not_processed() {
        let throttled: Answer = Box::new(|_| {
            (
                429,
                vec![("X-HubSpot-RateLimit-Interval-Milliseconds", "30".into())],
                fixture("error-429-ten-secondly.json"),
            )
        });
        let (client, script) = client_with(vec![
            throttled,
            fixed(201, fixture("contact-create-response-app-source.json")),
        ])
        .await;
        let input = CreateInput::new([("email".to_owned(), "meows@loudly.lol".to_owned())].into());
        let created = client
            .create_object(ObjectType::Contacts, &input)
            .await
            .unwrap();
        assert_eq!(created.id, "15875405214");
        let requests = seen(&script);
        assert_eq!(requests.len(), 2);
        assert_eq!(requests[0].path, "/crm/objects/2026-03/contacts");
        assert_eq!(
            requests[0].json()["properties"]["email"],
            "meows@loudly.lol"
        );
    }

    #[tokio::test]
    async fn reads_retry_server_errors_and_locks_then_succeed() {
        let (client, script) = client_with(vec![
            fixed(502, "<html>bad gateway</html>"),
            fixed(500, ""),
            fixed(200, fixture("contact-get-response.json")),
        ])
        .await;
        let options = GetOptions {
            properties: vec!["email".into(), "firstname".into()],
            associations: vec!["deals".into()],
            id_property: Some("email".into()),
            archived: false,
        };
        let contact = client
            .get_object(ObjectType::Contacts, "tom.bombadil@oldforest.com", &options)
            .await
            .unwrap();
        assert_eq!(contact.get("lastname"), Some("Bombadil"));
        let requests = seen(&script);
        assert_eq!(requests.len(), 3);
        let last = &requests[2];
        assert_eq!(last.method, Method::GET);
        assert_eq!(
            last.path,
            "/crm/objects/2026-03/contacts/tom.bombadil%40oldforest.com"
        );
        assert!(
            last.query.contains("properties=email%2Cfirstname"),
            "{}",
            last.query
        );
        assert!(last.query.contains("associations=deals"));
        assert!(last.query.contains("idProperty=email"));
        assert_eq!(last.headers["authorization"], "Bearer token-1");
    }

    #[tokio::test]
    async fn transient_retries_are_bounded_and_permanent_errors_return_at_once() {
        let (client, script) = client_with(vec![]).await;
        *script.fallback.lock().unwrap() = Some(fixed(503, ""));
        let err = client
            .get_object(ObjectType::Deals, "1", &GetOptions::default())
            .await
            .unwrap_err();
        assert!(matches!(err, HubspotError::Transient { status: 503, .. }));
        assert_eq!(seen(&script).len(), 4, "one attempt + FAST's three retries");

        let (client, script) =
            client_with(vec![fixed(404, fixture("error-404-object-not-found.json"))]).await;
        let err = client
            .get_object(ObjectType::Deals, "1", &GetOptions::default())
            .await
            .unwrap_err();
        assert!(matches!(err, HubspotError::NotFound { .. }));
        assert_eq!(seen(&script).len(), 1);

        let daily = r#"{"status":"error","message":"You have reached your daily limit.","errorType":"RATE_LIMIT","policyName":"DAILY"}"#;
        let (client, script) = client_with(vec![fixed(429, daily)]).await;
        let err = client
            .get_object(ObjectType::Deals, "1", &GetOptions::default())
            .await
            .unwrap_err();
        assert!(matches!(
            err,
            HubspotError::RateLimited {
                policy: RateLimitPolicy::Daily,
                ..
            }
        ));
        assert_eq!(seen(&script).len(), 1, "the daily cap is not waited out");
    }

    #[tokio::test]
    async fn a_refreshed_token_is_used_by_every_clone() {
        let (client, script) = client_with(vec![
            fixed(200, fixture("contact-get-response.json")),
            fixed(200, fixture("contact-get-response.json")),
        ])
        .await;
        let clone = client.clone();
        client.set_access_token(SecretString::from("token-2"));
        clone
            .get_object(ObjectType::Contacts, "301", &GetOptions::default())
            .await
            .unwrap();
        assert_eq!(seen(&script)[0].headers["authorization"], "Bearer token-2");
        assert!(!format!("{client:?}").contains("token-2"));
    }

    #[tokio::test]
    async fn batch_update_chunks_by_100_and_resolves_207_per_input() {
        // Answers each chunk: every input succeeds except id "7", reported as not found.
        let answer: Answer = Box::new(|seen| {
            let body = seen.json();
            let mut results = Vec::new();
            let mut errors = Vec::new();
            for input in body["inputs"].as_array().unwrap() {
                let id = input["id"].as_str().unwrap();
                if id == "7" {
                    errors.push(json!({"status":"error","category":"OBJECT_NOT_FOUND","message":"Object not found",
                        "context":{"ids":[id],"objectWriteTraceId":[input["objectWriteTraceId"]]}}));
                } else {
                    // Results come back in reverse order: pairing must not rely on position.
                    results.insert(0, json!({"id": id, "properties": input["properties"],
                        "createdAt":"2026-01-01T00:00:00Z","updatedAt":"2026-01-01T00:00:00Z","archived":false}));
                }
            }
            let status = if errors.is_empty() { 200 } else { 207 };
            let answer = json!({"status":"COMPLETE","results":results,"numErrors":errors.len(),"errors":errors,
                "startedAt":"2026-01-01T00:00:00Z","completedAt":"2026-01-01T00:00:00Z"});
            (status, vec![], answer.to_string())
        });
        let (client, script) = client_with(vec![]).await;
        *script.fallback.lock().unwrap() = Some(answer);
        let inputs: Vec<UpdateInput> = (0..250)
            .map(|n| UpdateInput {
                id: n.to_string(),
                properties: [("firstname".to_owned(), format!("n{n}"))].into(),
            })
            .collect();
        let outcome = client
            .batch_update(ObjectType::Contacts, &inputs, None)
            .await;
        assert_eq!(outcome.requests, 3);
        let sizes: Vec<usize> = seen(&script)
            .iter()
            .map(|s| s.json()["inputs"].as_array().unwrap().len())
            .collect();
        assert_eq!(sizes.iter().sum::<usize>(), 250);
        assert!(sizes.iter().all(|n| *n <= 100), "{sizes:?}");
        assert_eq!(outcome.items.len(), 250);
        for (n, item) in outcome.items.iter().enumerate() {
            assert_eq!(item.key, n.to_string());
            match (&item.outcome, n) {
                (ItemOutcome::Failed(e), 7) => {
                    assert_eq!(e.category.as_deref(), Some("OBJECT_NOT_FOUND"))
                }
                (ItemOutcome::Written(o), _) => {
                    assert_eq!(o.get("firstname"), Some(format!("n{n}").as_str()))
                }
                other => panic!("input {n}: {other:?}"),
            }
        }
    }

    #[tokio::test]
    async fn a_failed_create_chunk_keeps_the_other_chunks_results() {
        let ok: Answer = Box::new(|seen| {
            let body = seen.json();
            let results: Vec<Value> = body["inputs"]
                .as_array()
                .unwrap()
                .iter()
                .enumerate()
                .map(|(n, i)| json!({"id": format!("9{n}"), "properties": i["properties"], "objectWriteTraceId": i["objectWriteTraceId"]}))
                .collect();
            (
                201,
                vec![],
                json!({"status":"COMPLETE","results":results}).to_string(),
            )
        });
        let (client, script) = client_with(vec![ok, fixed(500, "")]).await;
        let inputs: Vec<CreateInput> = (0..150)
            .map(|n| CreateInput::new([("name".to_owned(), format!("p{n}"))].into()))
            .collect();
        let outcome = client
            .batch_create(ObjectType::Products, inputs, Some("name"))
            .await;
        assert_eq!(seen(&script).len(), 2, "the 5xx chunk is not resent");
        assert_eq!(outcome.written().count(), 100);
        let failed: Vec<_> = outcome.failed().collect();
        assert_eq!(failed.len(), 50);
        assert!(
            failed
                .iter()
                .all(|(_, e)| e.retryable && e.status == Some(500))
        );
        let traces: std::collections::HashSet<_> = seen(&script)[0].json()["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["objectWriteTraceId"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(traces.len(), 100, "every input carries its own trace id");
    }

    #[tokio::test]
    async fn oauth_refresh_posts_a_form_without_bearer_and_returns_secrets() {
        let (client, script) = client_with(vec![
            fixed(200, r#"{"token_type":"bearer","access_token":"new-access","refresh_token":"new-refresh","expires_in":1800,"hub_id":62515,"scopes":["oauth"]}"#),
            fixed(400, r#"{"error":"invalid_grant","error_description":"refresh token is invalid, expired or revoked","status":"BAD_REFRESH_TOKEN","message":"refresh token is invalid, expired or revoked"}"#),
        ])
        .await;
        let app = OAuthApp {
            client_id: "cid".into(),
            client_secret: SecretString::from("csecret"),
        };
        let tokens = client
            .refresh_tokens(&app, &SecretString::from("old-refresh"))
            .await
            .unwrap();
        assert_eq!(tokens.access_token.expose_secret(), "new-access");
        assert_eq!(tokens.refresh_token.expose_secret(), "new-refresh");
        assert_eq!(tokens.expires_in, Duration::from_secs(1800));
        assert_eq!(tokens.hub_id, Some(62515));
        let request = &seen(&script)[0];
        assert_eq!(request.path, "/oauth/2026-03/token");
        assert!(request.headers.get("authorization").is_none());
        assert_eq!(
            request.headers["content-type"],
            "application/x-www-form-urlencoded"
        );
        let form: Vec<(String, String)> = serde_urlencoded_pairs(&request.body);
        for pair in [
            ("grant_type", "refresh_token"),
            ("client_id", "cid"),
            ("client_secret", "csecret"),
            ("refresh_token", "old-refresh"),
        ] {
            assert!(form.contains(&(pair.0.into(), pair.1.into())), "{pair:?}");
        }
        let err = client
            .refresh_tokens(&app, &SecretString::from("old-refresh"))
            .await
            .unwrap_err();
        assert!(matches!(&err, HubspotError::OAuth { error, .. } if error == "invalid_grant"));
        assert!(!err.to_string().contains("csecret") && !err.to_string().contains("old-refresh"));
    }

    fn serde_urlencoded_pairs(body: &[u8]) -> Vec<(String, String)> {
        url_pairs(std::str::from_utf8(body).unwrap())
    }

    fn url_pairs(s: &str) -> Vec<(String, String)> {
        s.split('&')
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (decode(k), decode(v)))
            .collect()
    }

    fn decode(s: &str) -> String {
        let s = s.replace('+', " ");
        let bytes = s.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%' && i + 2 < bytes.len() + 1 {
                out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
                i += 3;
            } else {
                out.push(bytes[i]);
                i += 1;
            }
        }
        String::from_utf8(out).unwrap()
    }

    /// A search endpoint over ids 1..=n that answers 400 past 10,000 like HubSpot (§2.4).
    fn search_over(n: u64) -> Answer {
        Box::new(move |seen| {
            let body = seen.json();
            let limit = body["limit"].as_u64().unwrap();
            let after: u64 = body["after"]
                .as_str()
                .map(|a| a.parse().unwrap())
                .unwrap_or(0);
            if after + limit > 10_000 {
                return (400, vec![], r#"{"status":"error","message":"paging past 10000","category":"VALIDATION_ERROR"}"#.into());
            }
            assert_eq!(body["sorts"][0]["propertyName"], "hs_object_id");
            let floor: u64 = body["filterGroups"][0]["filters"]
                .as_array()
                .unwrap()
                .iter()
                .find(|f| f["propertyName"] == "hs_object_id" && f["operator"] == "GT")
                .map(|f| f["value"].as_str().unwrap().parse().unwrap())
                .unwrap_or(0);
            let matching: Vec<u64> = (floor + 1..=n).collect();
            let page: Vec<Value> = matching
                .iter()
                .skip(after as usize)
                .take(limit as usize)
                .map(|id| json!({"id": id.to_string(), "properties": {"hs_object_id": id.to_string()}}))
                .collect();
            let mut answer = json!({"total": matching.len(), "results": page});
            if after + limit < matching.len() as u64 {
                answer["paging"] = json!({"next": {"after": (after + limit).to_string()}});
            }
            (200, vec![], answer.to_string())
        })
    }

    #[tokio::test]
    async fn search_all_partitions_on_object_id_instead_of_paging_past_10000() {
        let (client, script) = client_with(vec![]).await;
        *script.fallback.lock().unwrap() = Some(search_over(10_450));
        let request = SearchRequest {
            filter_groups: vec![FilterGroup {
                filters: vec![Filter::has_property("email")],
            }],
            ..Default::default()
        };
        let scan = client
            .search_all(ObjectType::Contacts, &request)
            .await
            .unwrap();
        let ids: std::collections::BTreeSet<u64> =
            scan.results.iter().map(|o| o.id.parse().unwrap()).collect();
        assert_eq!(scan.results.len(), 10_450, "no duplicates");
        assert_eq!(ids.len(), 10_450);
        assert_eq!(scan.partitions, 1);
        assert_eq!(
            scan.requests, 53,
            "50 pages of 200, then 3 more after the floor"
        );
        assert!(
            seen(&script)
                .iter()
                .all(|s| s.path == "/crm/objects/2026-03/contacts/search")
        );
    }

    #[tokio::test]
    async fn search_limits_are_refused_before_sending() {
        let (client, script) =
            client_with(vec![fixed(400, fixture("error-400-validation.json"))]).await;
        let too_wide = SearchRequest {
            filter_groups: vec![FilterGroup {
                filters: (0..6).map(|n| Filter::eq("p", n.to_string())).collect(),
            }],
            ..Default::default()
        };
        // Six filters fit one page request but not a partitioned scan (it adds one per group).
        let err = client
            .search_page(ObjectType::Deals, &too_wide)
            .await
            .unwrap_err();
        assert!(matches!(err, HubspotError::Validation { .. }), "{err:?}");
        assert_eq!(seen(&script).len(), 1, "a valid page request is sent");
        let err = client
            .search_all(ObjectType::Deals, &too_wide)
            .await
            .unwrap_err();
        assert!(matches!(err, HubspotError::InvalidRequest(_)));
        assert_eq!(seen(&script).len(), 1, "an invalid scan is not sent");
    }
}
