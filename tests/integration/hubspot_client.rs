//! `HubspotClient` over real HTTP: a scripted stand-in server for exact retry/error paths, and
//! the HubSpot sandbox for every endpoint (success and error paths, docs/hubspot.md §2-§4).

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

mod against_sandbox {
    //! Every client endpoint against the HubSpot sandbox, success and error paths. Where the
    //! sandbox and docs/hubspot.md disagree, the docs win (see the test comments).

    use std::time::Duration;

    use hqsync::http::RetryPolicy;
    use hqsync::hubspot::associations::{AssociationInput, AssociationSpec, InlineAssociation};
    use hqsync::hubspot::oauth::OAuthApp;
    use hqsync::hubspot::properties::{PropertyDefinition, PropertyGroup};
    use hqsync::hubspot::search::{Direction, Sort};
    use hqsync::hubspot::{
        BatchReadOptions, CreateInput, Filter, FilterGroup, GetOptions, HubspotBudgets,
        HubspotClient, HubspotError, ItemOutcome, ListOptions, ObjectType, Operator,
        PropertyWrites, SearchRequest, UpdateInput, UpsertInput, type_ids,
    };
    use hqsync_sandbox::hubspot::{HubspotSandbox, HubspotSandboxConfig};
    use hqsync_tests::hubspot::{start_default_hubspot_sandbox, start_hubspot_sandbox};
    use secrecy::{ExposeSecret, SecretString};
    use serde_json::{Value, json};

    const FAST: RetryPolicy = RetryPolicy {
        max_transient_retries: 3,
        max_throttle_waits: 10,
        min_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(50),
    };

    fn client_for(sandbox: &HubspotSandbox) -> HubspotClient {
        HubspotClient::builder(SecretString::from(sandbox.config().dev_token.clone()))
            .base_url(sandbox.base_url())
            .retry_policy(FAST)
            .build()
            .unwrap()
    }

    fn props(pairs: &[(&str, &str)]) -> PropertyWrites {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    async fn control(
        sandbox: &HubspotSandbox,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Value {
        let http = reqwest::Client::new();
        let mut request = http.request(method, format!("{}{path}", sandbox.base_url()));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        assert!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
        response.json().await.unwrap_or(Value::Null)
    }

    /// Requests the sandbox counted for `method` on the route pattern `pattern`.
    async fn requests_to(sandbox: &HubspotSandbox, method: &str, pattern: &str) -> u64 {
        let stats = control(sandbox, reqwest::Method::GET, "/_sandbox/stats", None).await;
        stats["routes"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["method"] == method && r["path"] == pattern)
            .map(|r| r["count"].as_u64().unwrap_or(0))
            .sum()
    }

    async fn fail_next(sandbox: &HubspotSandbox, statuses: &[u16]) {
        control(
            sandbox,
            reqwest::Method::PUT,
            "/_sandbox/faults",
            Some(json!({ "failNext": statuses })),
        )
        .await;
    }

    #[tokio::test]
    async fn contacts_round_trip_get_update_list_archive() {
        let sandbox = start_default_hubspot_sandbox().await;
        let client = client_for(&sandbox);
        let created = client
            .create_object(
                ObjectType::Contacts,
                &CreateInput::new(props(&[("email", "ada@example.com"), ("firstname", "Ada")])),
            )
            .await
            .unwrap();
        assert_eq!(created.get("email"), Some("ada@example.com"));
        assert!(
            created.get("lastmodifieddate").is_some(),
            "contacts carry lastmodifieddate (§2.3)"
        );

        let by_id = client
            .get_object(
                ObjectType::Contacts,
                &created.id,
                &GetOptions::properties(["email", "firstname", "lastname"]),
            )
            .await
            .unwrap();
        assert_eq!(by_id.get("firstname"), Some("Ada"));
        assert_eq!(
            by_id.get("lastname"),
            None,
            "a named property without value is absent, not empty"
        );

        let by_email = client
            .get_object(
                ObjectType::Contacts,
                "ada@example.com",
                &GetOptions {
                    id_property: Some("email".into()),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(by_email.id, created.id);

        let updated = client
            .update_object(
                ObjectType::Contacts,
                &created.id,
                &props(&[("lastname", "Lovelace")]),
                None,
            )
            .await
            .unwrap();
        assert_eq!(updated.get("lastname"), Some("Lovelace"));
        assert!(updated.updated_at >= created.updated_at);

        let updated = client
            .update_object(
                ObjectType::Contacts,
                "ada@example.com",
                &props(&[("firstname", "Augusta")]),
                Some("email"),
            )
            .await
            .unwrap();
        assert_eq!(updated.id, created.id);

        for n in 0..4 {
            client
                .create_object(
                    ObjectType::Contacts,
                    &CreateInput::new(props(&[("email", &format!("p{n}@example.com"))])),
                )
                .await
                .unwrap();
        }
        let first = client
            .list_objects_page(
                ObjectType::Contacts,
                &ListOptions {
                    limit: 2,
                    ..Default::default()
                },
                None,
            )
            .await
            .unwrap();
        assert_eq!(first.results.len(), 2);
        assert!(first.next_after().is_some());
        let all = client
            .list_all_objects(
                ObjectType::Contacts,
                &ListOptions {
                    properties: vec!["email".into()],
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(all.len(), 5);

        client
            .archive_object(ObjectType::Contacts, &created.id)
            .await
            .unwrap();
        let err = client
            .get_object(ObjectType::Contacts, &created.id, &GetOptions::default())
            .await
            .unwrap_err();
        assert!(matches!(err, HubspotError::NotFound { .. }), "{err:?}");
        let archived = client
            .get_object(
                ObjectType::Contacts,
                &created.id,
                &GetOptions {
                    archived: true,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert!(archived.archived);
        let after = client
            .list_all_objects(ObjectType::Contacts, &ListOptions::default())
            .await
            .unwrap();
        assert_eq!(after.len(), 4);
        let archived_list = client
            .list_all_objects(
                ObjectType::Contacts,
                &ListOptions {
                    archived: true,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(archived_list.len(), 1);
    }

    #[tokio::test]
    async fn error_paths_are_typed() {
        let sandbox = start_default_hubspot_sandbox().await;
        let client = client_for(&sandbox);
        let first = client
            .create_object(
                ObjectType::Contacts,
                &CreateInput::new(props(&[("email", "dup@example.com")])),
            )
            .await
            .unwrap();
        let err = client
            .create_object(
                ObjectType::Contacts,
                &CreateInput::new(props(&[("email", "dup@example.com")])),
            )
            .await
            .unwrap_err();
        match &err {
            HubspotError::Conflict { existing_id, .. } => {
                assert_eq!(existing_id.as_deref(), Some(first.id.as_str()))
            }
            other => panic!("{other:?}"),
        }
        let err = client
            .update_object(
                ObjectType::Contacts,
                &first.id,
                &props(&[("no_such_property", "x")]),
                None,
            )
            .await
            .unwrap_err();
        assert!(matches!(&err, HubspotError::Validation { .. }), "{err:?}");
        let err = client
            .get_object(ObjectType::Products, "999999999", &GetOptions::default())
            .await
            .unwrap_err();
        assert!(matches!(err, HubspotError::NotFound { .. }), "{err:?}");

        let stranger = HubspotClient::builder(SecretString::from("not-a-token"))
            .base_url(sandbox.base_url())
            .build()
            .unwrap();
        let err = stranger
            .get_object(ObjectType::Contacts, &first.id, &GetOptions::default())
            .await
            .unwrap_err();
        assert!(matches!(err, HubspotError::Unauthorized { .. }), "{err:?}");
        assert!(
            err.correlation_id().is_some(),
            "the sandbox sends correlationId like HubSpot (§9.4)"
        );
    }

    #[tokio::test]
    async fn batches_read_create_update_upsert_archive_in_chunks() {
        let sandbox = start_default_hubspot_sandbox().await;
        let client = client_for(&sandbox);
        let inputs: Vec<CreateInput> = (0..150)
            .map(|n| {
                CreateInput::new(props(&[
                    ("name", &format!("Widget {n}")),
                    ("price", "9.50"),
                    ("hs_sku", &format!("W-{n}")),
                ]))
            })
            .collect();
        let created = client
            .batch_create(ObjectType::Products, inputs, Some("hs_sku"))
            .await;
        assert_eq!(created.requests, 2);
        assert!(
            created.all_written(),
            "{:?}",
            created.failed().collect::<Vec<_>>()
        );
        let ids: Vec<String> = created.written().map(|(_, o)| o.id.clone()).collect();
        let unique: std::collections::HashSet<_> = ids.iter().collect();
        assert_eq!(unique.len(), 150);
        for (n, (_, o)) in created.written().enumerate() {
            assert_eq!(
                o.get("hs_sku"),
                Some(format!("W-{n}").as_str()),
                "outcomes are in input order"
            );
        }

        let mut wanted = ids.clone();
        wanted.push("999999991".into());
        wanted.push("999999992".into());
        let read = client
            .batch_read(
                ObjectType::Products,
                &wanted,
                &BatchReadOptions {
                    properties: vec!["name".into(), "price".into()],
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(read.found.len(), 150);
        assert_eq!(
            read.missing,
            vec!["999999991".to_owned(), "999999992".to_owned()]
        );
        assert!(read.found.iter().all(|o| o.get("price") == Some("9.50")));

        let updates: Vec<UpdateInput> = ids
            .iter()
            .map(|id| UpdateInput {
                id: id.clone(),
                properties: props(&[("price", "11.00")]),
            })
            .chain(std::iter::once(UpdateInput {
                id: "999999993".into(),
                properties: props(&[("price", "1")]),
            }))
            .collect();
        let outcome = client
            .batch_update(ObjectType::Products, &updates, None)
            .await;
        assert_eq!(outcome.written().count(), 150);
        let failed: Vec<_> = outcome.failed().collect();
        assert_eq!(failed.len(), 1, "207: only the missing id fails");
        assert_eq!(failed[0].0, "999999993");
        assert_eq!(failed[0].1.category.as_deref(), Some("OBJECT_NOT_FOUND"));

        let upserts = vec![
            UpsertInput {
                id: "u1@example.com".into(),
                properties: props(&[("firstname", "One")]),
            },
            UpsertInput {
                id: "u2@example.com".into(),
                properties: props(&[("firstname", "Two")]),
            },
        ];
        let first = client
            .batch_upsert(ObjectType::Contacts, "email", &upserts)
            .await;
        assert!(first.all_written());
        assert!(first.written().all(|(_, o)| o.new == Some(true)));
        let again = client
            .batch_upsert(ObjectType::Contacts, "email", &upserts)
            .await;
        let first_ids: Vec<_> = first.written().map(|(_, o)| o.id.clone()).collect();
        let again_ids: Vec<_> = again.written().map(|(_, o)| o.id.clone()).collect();
        assert_eq!(
            first_ids, again_ids,
            "an upsert replay finds, never duplicates"
        );
        assert!(again.written().all(|(_, o)| o.new == Some(false)));

        assert_eq!(
            client
                .batch_archive(ObjectType::Products, &ids)
                .await
                .unwrap(),
            2
        );
        let gone = client
            .batch_read(ObjectType::Products, &ids, &BatchReadOptions::default())
            .await
            .unwrap();
        assert!(gone.found.is_empty());
        assert_eq!(gone.missing.len(), 150);
    }

    #[tokio::test]
    async fn a_bad_input_fails_alone_in_a_traced_batch_create() {
        let sandbox = start_default_hubspot_sandbox().await;
        let client = client_for(&sandbox);
        let inputs = vec![
            CreateInput::new(props(&[("email", "ok@example.com")])),
            CreateInput::new(props(&[("email", "bad@example.com"), ("missing", "1")])),
            CreateInput::new(props(&[("email", "ok2@example.com")])),
        ];
        let outcome = client
            .batch_create(ObjectType::Contacts, inputs, Some("email"))
            .await;
        assert_eq!(outcome.written().count(), 2);
        match &outcome.items[1].outcome {
            ItemOutcome::Failed(e) => {
                assert_eq!(e.category.as_deref(), Some("VALIDATION_ERROR"));
                assert_eq!(e.properties, vec!["missing".to_owned()]);
            }
            other => panic!("{other:?}"),
        }
        // A duplicate email inside a traced batch create is that input's 409-style failure.
        let outcome = client
            .batch_create(
                ObjectType::Contacts,
                vec![CreateInput::new(props(&[("email", "ok@example.com")]))],
                Some("email"),
            )
            .await;
        match &outcome.items[0].outcome {
            ItemOutcome::Failed(e) => assert!(e.existing_id.is_some(), "{e:?}"),
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn search_filters_sorts_pages_and_respects_limits() {
        let sandbox = start_default_hubspot_sandbox().await;
        let client = client_for(&sandbox);
        let inputs: Vec<UpsertInput> = (0..450)
            .map(|n| UpsertInput {
                id: format!("s{n:03}@example.com"),
                properties: props(&[
                    ("firstname", if n % 2 == 0 { "Even" } else { "Odd" }),
                    ("lastname", &format!("L{n:03}")),
                ]),
            })
            .collect();
        assert!(
            client
                .batch_upsert(ObjectType::Contacts, "email", &inputs)
                .await
                .all_written()
        );

        let evens = SearchRequest {
            filter_groups: vec![FilterGroup {
                filters: vec![Filter::eq("firstname", "Even")],
            }],
            sorts: vec![Sort {
                property_name: "lastname".into(),
                direction: Direction::Descending,
            }],
            properties: vec!["lastname".into(), "email".into()],
            limit: 10,
            ..Default::default()
        };
        let page = client
            .search_page(ObjectType::Contacts, &evens)
            .await
            .unwrap();
        assert_eq!(page.total, Some(225));
        assert_eq!(page.results.len(), 10);
        assert_eq!(page.results[0].get("lastname"), Some("L448"));
        assert_eq!(page.next_after(), Some("10"));

        let either = SearchRequest {
            filter_groups: vec![
                FilterGroup {
                    filters: vec![Filter::in_values(
                        "email",
                        ["s001@example.com", "s002@example.com"],
                    )],
                },
                FilterGroup {
                    filters: vec![Filter::compare("lastname", Operator::Eq, "L449")],
                },
            ],
            ..Default::default()
        };
        let page = client
            .search_page(ObjectType::Contacts, &either)
            .await
            .unwrap();
        assert_eq!(page.results.len(), 3, "groups are ORed");

        let all = SearchRequest {
            filter_groups: vec![FilterGroup {
                filters: vec![Filter::has_property("email")],
            }],
            ..Default::default()
        };
        let scan = client.search_all(ObjectType::Contacts, &all).await.unwrap();
        assert_eq!(scan.results.len(), 450);
        assert_eq!(scan.requests, 3);

        // The sandbox enforces the documented limits too: 7 filters in a group is a 400.
        let mut raw = SearchRequest {
            filter_groups: vec![FilterGroup {
                filters: (0..6)
                    .map(|n| Filter::eq("firstname", n.to_string()))
                    .collect(),
            }],
            ..Default::default()
        };
        client
            .search_page(ObjectType::Contacts, &raw)
            .await
            .unwrap();
        raw.filter_groups[0]
            .filters
            .push(Filter::eq("lastname", "x"));
        assert!(matches!(
            client
                .search_page(ObjectType::Contacts, &raw)
                .await
                .unwrap_err(),
            HubspotError::InvalidRequest(_)
        ));
    }

    #[tokio::test]
    async fn search_all_gets_past_the_10000_cap_against_the_sandbox() {
        let sandbox = start_hubspot_sandbox(HubspotSandboxConfig {
            search_index_delay: Duration::ZERO,
            burst_limit: 0,
            search_per_second: 0,
            ..HubspotSandboxConfig::default()
        })
        .await;
        let client = HubspotClient::builder(SecretString::from(sandbox.config().dev_token.clone()))
            .base_url(sandbox.base_url())
            .budgets(HubspotBudgets::unlimited())
            .retry_policy(FAST)
            .build()
            .unwrap();
        let inputs: Vec<UpsertInput> = (0..10_050)
            .map(|n| UpsertInput {
                id: format!("bulk{n}@example.com"),
                properties: props(&[("firstname", "Bulk")]),
            })
            .collect();
        let written = client
            .batch_upsert(ObjectType::Contacts, "email", &inputs)
            .await;
        assert!(written.all_written());
        let request = SearchRequest {
            filter_groups: vec![FilterGroup {
                filters: vec![Filter::eq("firstname", "Bulk")],
            }],
            ..Default::default()
        };
        // Paging by `after` alone hits the documented 400 past 10,000.
        let past_cap = SearchRequest {
            after: Some("10000".into()),
            limit: 200,
            ..request.clone()
        };
        let err = client
            .search_page(ObjectType::Contacts, &past_cap)
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                HubspotError::Validation { .. } | HubspotError::Api { status: 400, .. }
            ),
            "{err:?}"
        );
        let scan = client
            .search_all(ObjectType::Contacts, &request)
            .await
            .unwrap();
        let ids: std::collections::HashSet<_> = scan.results.iter().map(|o| o.id.clone()).collect();
        assert_eq!(ids.len(), 10_050);
        assert_eq!(scan.results.len(), 10_050);
        assert!(scan.partitions >= 1);
    }

    #[tokio::test]
    async fn associations_default_batch_create_and_read() {
        let sandbox = start_default_hubspot_sandbox().await;
        let client = client_for(&sandbox);
        let deal = client
            .create_object(
                ObjectType::Deals,
                &CreateInput::new(props(&[
                    ("dealname", "Big deal"),
                    ("dealstage", "appointmentscheduled"),
                ])),
            )
            .await
            .unwrap();
        let product = client
            .create_object(
                ObjectType::Products,
                &CreateInput::new(props(&[("name", "Widget"), ("price", "10")])),
            )
            .await
            .unwrap();
        let line = client
            .create_object(
                ObjectType::LineItems,
                &CreateInput {
                    properties: props(&[("hs_product_id", &product.id), ("quantity", "2")]),
                    associations: vec![InlineAssociation::to(
                        deal.id.clone(),
                        type_ids::LINE_ITEM_TO_DEAL,
                    )],
                    object_write_trace_id: None,
                },
            )
            .await
            .unwrap();
        let listed = client
            .list_associations(ObjectType::Deals, &deal.id, ObjectType::LineItems)
            .await
            .unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].to_object_id, line.id);
        assert!(
            listed[0]
                .association_types
                .iter()
                .any(|t| t.type_id == type_ids::DEAL_TO_LINE_ITEM)
        );

        let contact = client
            .create_object(
                ObjectType::Contacts,
                &CreateInput::new(props(&[("email", "buyer@example.com")])),
            )
            .await
            .unwrap();
        let answer = client
            .associate_default(
                ObjectType::Deals,
                &deal.id,
                ObjectType::Contacts,
                &contact.id,
            )
            .await
            .unwrap();
        assert_eq!(answer.results.len(), 2, "both directions (§3)");

        let invoice = client
            .create_object(
                ObjectType::Invoices,
                &CreateInput::new(props(&[
                    ("hs_currency", "USD"),
                    ("hs_invoice_billable", "false"),
                ])),
            )
            .await
            .unwrap();
        let created = client
            .batch_create_associations(
                ObjectType::Invoices,
                ObjectType::Contacts,
                &[AssociationInput {
                    from_id: invoice.id.clone(),
                    to_id: contact.id.clone(),
                    types: vec![AssociationSpec::hubspot_defined(
                        type_ids::INVOICE_TO_CONTACT,
                    )],
                }],
            )
            .await
            .unwrap();
        assert!(created.errors.is_empty(), "{:?}", created.errors);
        let read = client
            .batch_read_associations(
                ObjectType::Invoices,
                ObjectType::Contacts,
                std::slice::from_ref(&invoice.id),
            )
            .await
            .unwrap();
        assert_eq!(read.len(), 1);
        assert_eq!(read[0].from.id, invoice.id);
        assert_eq!(read[0].to[0].to_object_id, contact.id);

        let with_assoc = client
            .get_object(
                ObjectType::Deals,
                &deal.id,
                &GetOptions {
                    associations: vec!["line_items".into(), "contacts".into()],
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(
            with_assoc.associated_ids("line_items"),
            vec![line.id.as_str()]
        );
        assert_eq!(
            with_assoc.associated_ids("contacts"),
            vec![contact.id.as_str()]
        );

        let err = client
            .associate_default(
                ObjectType::Deals,
                &deal.id,
                ObjectType::Contacts,
                "999999999",
            )
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                HubspotError::NotFound { .. } | HubspotError::Validation { .. }
            ),
            "{err:?}"
        );
    }

    #[tokio::test]
    async fn invoices_payments_notes_and_merge() {
        let sandbox = start_default_hubspot_sandbox().await;
        sandbox.set_payment_processing(true);
        let client = client_for(&sandbox);
        let contact = client
            .create_object(
                ObjectType::Contacts,
                &CreateInput::new(props(&[("email", "payer@example.com")])),
            )
            .await
            .unwrap();
        let invoice = client
            .create_object(
                ObjectType::Invoices,
                &CreateInput {
                    properties: props(&[("hs_currency", "USD")]),
                    associations: vec![InlineAssociation::to(
                        contact.id.clone(),
                        type_ids::INVOICE_TO_CONTACT,
                    )],
                    object_write_trace_id: None,
                },
            )
            .await
            .unwrap();
        assert_eq!(invoice.get("hs_invoice_status"), Some("draft"));
        // Opening needs a line item (§2.8): without one the sandbox must refuse.
        let err = client
            .update_object(
                ObjectType::Invoices,
                &invoice.id,
                &props(&[("hs_invoice_status", "open")]),
                None,
            )
            .await
            .unwrap_err();
        assert!(matches!(err, HubspotError::Validation { .. }), "{err:?}");
        client
            .create_object(
                ObjectType::LineItems,
                &CreateInput {
                    properties: props(&[
                        ("name", "Service"),
                        ("price", "100.00"),
                        ("quantity", "1"),
                    ]),
                    associations: vec![InlineAssociation::to(
                        invoice.id.clone(),
                        type_ids::LINE_ITEM_TO_INVOICE,
                    )],
                    object_write_trace_id: None,
                },
            )
            .await
            .unwrap();
        let open = client
            .update_object(
                ObjectType::Invoices,
                &invoice.id,
                &props(&[("hs_invoice_status", "open")]),
                None,
            )
            .await
            .unwrap();
        assert_eq!(open.get("hs_invoice_status"), Some("open"));
        // docs/hubspot.md §2.8: the status is an enumeration without partially-paid or overdue
        // values, the amounts are calculated (read-only), paid and back to open is allowed, and
        // nothing leaves voided.
        for refused in [
            props(&[("hs_invoice_status", "partially_paid")]),
            props(&[("hs_invoice_status", "overdue")]),
            props(&[("hs_amount_billed", "10.00")]),
            props(&[("hs_balance_due", "0")]),
        ] {
            let err = client
                .update_object(ObjectType::Invoices, &invoice.id, &refused, None)
                .await
                .unwrap_err();
            assert!(
                matches!(err, HubspotError::Validation { .. }),
                "{refused:?}: {err:?}"
            );
        }
        for next in ["paid", "open"] {
            let moved = client
                .update_object(
                    ObjectType::Invoices,
                    &invoice.id,
                    &props(&[("hs_invoice_status", next)]),
                    None,
                )
                .await
                .unwrap();
            assert_eq!(moved.get("hs_invoice_status"), Some(next));
        }

        let payment = client
            .create_object(
                ObjectType::CommercePayments,
                &CreateInput {
                    properties: props(&[
                        ("hs_initial_amount", "100.00"),
                        ("hs_initiated_date", "2026-01-01T00:00:00Z"),
                    ]),
                    associations: vec![InlineAssociation::to(
                        invoice.id.clone(),
                        type_ids::PAYMENT_TO_INVOICE,
                    )],
                    object_write_trace_id: None,
                },
            )
            .await
            .unwrap();
        assert_eq!(payment.get("hs_latest_status"), Some("processing"));

        let deal = client
            .create_object(
                ObjectType::Deals,
                &CreateInput::new(props(&[
                    ("dealname", "D"),
                    ("dealstage", "appointmentscheduled"),
                ])),
            )
            .await
            .unwrap();
        let note = client
            .create_object(
                ObjectType::Notes,
                &CreateInput {
                    properties: props(&[
                        ("hs_timestamp", "2026-01-01T00:00:00Z"),
                        ("hs_note_body", "<p>QBO payment $100 received</p>"),
                    ]),
                    associations: vec![InlineAssociation::to(
                        deal.id.clone(),
                        type_ids::NOTE_TO_DEAL,
                    )],
                    object_write_trace_id: None,
                },
            )
            .await
            .unwrap();
        let notes = client
            .list_associations(ObjectType::Deals, &deal.id, ObjectType::Notes)
            .await
            .unwrap();
        assert_eq!(notes[0].to_object_id, note.id);

        let other = client
            .create_object(
                ObjectType::Contacts,
                &CreateInput::new(props(&[("email", "payer2@example.com")])),
            )
            .await
            .unwrap();
        let merged = client.merge_contacts(&contact.id, &other.id).await.unwrap();
        assert_eq!(merged.id, contact.id);
        let err = client
            .merge_contacts(&contact.id, "999999999")
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                HubspotError::NotFound { .. } | HubspotError::Validation { .. }
            ),
            "{err:?}"
        );
    }

    #[tokio::test]
    async fn properties_are_ensured_idempotently_and_unique_ones_work_as_id_property() {
        let sandbox = start_default_hubspot_sandbox().await;
        let client = client_for(&sandbox);
        let group = PropertyGroup {
            name: "quickbooks".into(),
            label: "QuickBooks".into(),
            display_order: -1,
        };
        assert!(
            client
                .ensure_property_group(ObjectType::Deals, &group)
                .await
                .unwrap()
        );
        assert!(
            !client
                .ensure_property_group(ObjectType::Deals, &group)
                .await
                .unwrap()
        );

        let unique = PropertyDefinition::text(
            "qbo_customer_id",
            "QuickBooks customer ID",
            "contactinformation",
        )
        .unique();
        let report = client
            .ensure_properties(ObjectType::Contacts, std::slice::from_ref(&unique))
            .await
            .unwrap();
        assert_eq!(report.created, vec!["qbo_customer_id".to_owned()]);
        let report = client
            .ensure_properties(ObjectType::Contacts, std::slice::from_ref(&unique))
            .await
            .unwrap();
        assert_eq!(report.already_present, vec!["qbo_customer_id".to_owned()]);
        let read = client
            .get_property(ObjectType::Contacts, "qbo_customer_id")
            .await
            .unwrap()
            .unwrap();
        assert!(read.has_unique_value);
        assert!(
            client
                .get_property(ObjectType::Contacts, "nope_nothing")
                .await
                .unwrap()
                .is_none()
        );
        let all = client.list_properties(ObjectType::Contacts).await.unwrap();
        assert!(all.iter().any(|p| p.name == "email"));

        let clash = PropertyDefinition {
            kind: "number".into(),
            field_type: "number".into(),
            ..unique.clone()
        };
        assert!(matches!(
            client
                .ensure_properties(ObjectType::Contacts, &[clash])
                .await
                .unwrap_err(),
            HubspotError::InvalidRequest(_)
        ));

        let a = client
            .create_object(
                ObjectType::Contacts,
                &CreateInput::new(props(&[
                    ("email", "q1@example.com"),
                    ("qbo_customer_id", "58"),
                ])),
            )
            .await
            .unwrap();
        let up = client
            .batch_upsert(
                ObjectType::Contacts,
                "qbo_customer_id",
                &[UpsertInput {
                    id: "58".into(),
                    properties: props(&[("firstname", "Linked")]),
                }],
            )
            .await;
        assert_eq!(up.written().next().unwrap().1.id, a.id);
        let err = client
            .create_object(
                ObjectType::Contacts,
                &CreateInput::new(props(&[
                    ("email", "q2@example.com"),
                    ("qbo_customer_id", "58"),
                ])),
            )
            .await
            .unwrap_err();
        assert!(
            matches!(&err, HubspotError::Conflict { existing_id: Some(id), .. } if *id == a.id),
            "{err:?}"
        );
    }

    #[tokio::test]
    async fn oauth_refresh_mints_a_token_the_api_accepts() {
        let sandbox = start_default_hubspot_sandbox().await;
        let client = HubspotClient::builder(SecretString::from("expired-or-unknown"))
            .base_url(sandbox.base_url())
            .build()
            .unwrap();
        let app = OAuthApp {
            client_id: sandbox.config().client_id.clone(),
            client_secret: SecretString::from(sandbox.config().client_secret.clone()),
        };
        let tokens = client
            .refresh_tokens(
                &app,
                &SecretString::from(sandbox.config().refresh_token.clone()),
            )
            .await
            .unwrap();
        assert_eq!(tokens.hub_id, Some(sandbox.config().portal_id));
        assert_eq!(tokens.expires_in, Duration::from_secs(1800));
        client.set_access_token(tokens.access_token.clone());
        client
            .list_objects_page(ObjectType::Contacts, &ListOptions::default(), None)
            .await
            .unwrap();
        let err = client
            .refresh_tokens(&app, &SecretString::from("not-a-refresh-token"))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, HubspotError::OAuth { error, .. } if error == "invalid_grant"),
            "{err:?}"
        );
        assert!(!tokens.refresh_token.expose_secret().is_empty());
    }

    #[tokio::test]
    async fn injected_faults_retry_reads_but_never_resend_creates() {
        const OBJECT_ROUTE: &str = "/crm/objects/2026-03/{object_type}/{id}";
        const OBJECTS_ROUTE: &str = "/crm/objects/2026-03/{object_type}";
        let sandbox = start_default_hubspot_sandbox().await;
        let client = client_for(&sandbox);
        let contact = client
            .create_object(
                ObjectType::Contacts,
                &CreateInput::new(props(&[("email", "f@example.com")])),
            )
            .await
            .unwrap();
        fail_next(&sandbox, &[503, 502]).await;
        client
            .get_object(ObjectType::Contacts, &contact.id, &GetOptions::default())
            .await
            .unwrap();
        assert_eq!(
            requests_to(&sandbox, "GET", OBJECT_ROUTE).await,
            3,
            "two faults then success"
        );

        fail_next(&sandbox, &[503]).await;
        let before = requests_to(&sandbox, "POST", OBJECTS_ROUTE).await;
        let err = client
            .create_object(
                ObjectType::Contacts,
                &CreateInput::new(props(&[("email", "g@example.com")])),
            )
            .await
            .unwrap_err();
        assert!(
            matches!(err, HubspotError::Transient { status: 503, .. }),
            "{err:?}"
        );
        assert_eq!(
            requests_to(&sandbox, "POST", OBJECTS_ROUTE).await,
            before + 1
        );

        fail_next(&sandbox, &[429]).await;
        client
            .create_object(
                ObjectType::Contacts,
                &CreateInput::new(props(&[("email", "h@example.com")])),
            )
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn the_sandbox_burst_limit_is_honoured_by_waiting_not_failing() {
        let sandbox = start_hubspot_sandbox(HubspotSandboxConfig {
            search_index_delay: Duration::ZERO,
            burst_limit: 5,
            burst_window: Duration::from_millis(500),
            ..HubspotSandboxConfig::default()
        })
        .await;
        // No client-side limiting: every request past 5 per 0.5 s meets a 429 and must wait.
        let client = HubspotClient::builder(SecretString::from(sandbox.config().dev_token.clone()))
            .base_url(sandbox.base_url())
            .budgets(HubspotBudgets::unlimited())
            .retry_policy(FAST)
            .build()
            .unwrap();
        for n in 0..12 {
            client
                .create_object(
                    ObjectType::Contacts,
                    &CreateInput::new(props(&[("email", &format!("r{n}@example.com"))])),
                )
                .await
                .unwrap();
        }
        let all = client
            .list_all_objects(ObjectType::Contacts, &ListOptions::default())
            .await
            .unwrap();
        assert_eq!(
            all.len(),
            12,
            "throttled creates were resent exactly once each"
        );
        let stats = control(&sandbox, reqwest::Method::GET, "/_sandbox/stats", None).await;
        let throttled: u64 = stats["routes"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|r| r["byStatus"]["429"].as_u64())
            .sum();
        assert!(
            throttled > 0,
            "the test must actually meet the limit: {stats}"
        );
    }
}

mod sandbox_webhooks {
    //! The sandbox's signed webhook deliveries verify with `WebhookVerifier` (v3, and the v1
    //! header without v3) and parse with `parse_events`: two independent implementations of
    //! docs/hubspot.md §5.3/§5.5 agreeing.

    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use axum::body::Bytes;
    use axum::extract::State;
    use axum::http::{HeaderMap, Method, Uri};
    use hqsync::hubspot::webhook::{
        EventAction, SignatureVersion, SignedRequest, WebhookVerifier, parse_events,
    };
    use hqsync::hubspot::{CreateInput, HubspotClient, ObjectType};
    use hqsync_sandbox::hubspot::HubspotSandboxConfig;
    use hqsync_tests::hubspot::start_hubspot_sandbox;
    use secrecy::SecretString;

    type Deliveries = Arc<Mutex<Vec<(Method, Uri, HeaderMap, Bytes)>>>;

    async fn receive(
        State(got): State<Deliveries>,
        method: Method,
        uri: Uri,
        headers: HeaderMap,
        body: Bytes,
    ) -> &'static str {
        got.lock().unwrap().push((method, uri, headers, body));
        "ok"
    }

    #[tokio::test]
    async fn sandbox_deliveries_verify_and_parse() {
        let got: Deliveries = Arc::default();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!(
            "http://{}/hooks/hubspot?app=hqsync",
            listener.local_addr().unwrap()
        );
        let app = axum::Router::new()
            .fallback(receive)
            .with_state(got.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

        let sandbox = start_hubspot_sandbox(HubspotSandboxConfig {
            search_index_delay: Duration::ZERO,
            webhook_url: Some(url.clone()),
            webhook_delay: Duration::from_millis(50),
            ..HubspotSandboxConfig::default()
        })
        .await;
        let client = HubspotClient::builder(SecretString::from(sandbox.config().dev_token.clone()))
            .base_url(sandbox.base_url())
            .build()
            .unwrap();
        let contact = client
            .create_object(
                ObjectType::Contacts,
                &CreateInput::new([("email".to_owned(), "hook@example.com".to_owned())].into()),
            )
            .await
            .unwrap();

        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while got.lock().unwrap().is_empty() && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let deliveries = got.lock().unwrap().clone();
        assert!(!deliveries.is_empty(), "the sandbox delivered nothing");

        let verifier =
            WebhookVerifier::new(SecretString::from(sandbox.config().client_secret.clone()));
        let wrong = WebhookVerifier::new(SecretString::from("some-other-secret"));
        let mut events = Vec::new();
        for (method, _uri, headers, body) in &deliveries {
            let pairs: Vec<(&str, &str)> = headers
                .iter()
                .map(|(k, v)| (k.as_str(), v.to_str().unwrap_or("")))
                .collect();
            let request = SignedRequest::from_headers(method.as_str(), &url, body, pairs.clone());
            assert!(request.signature_v3.is_some());
            assert_eq!(
                verifier.verify(&request, chrono::Utc::now()),
                Ok(SignatureVersion::V3)
            );
            assert!(wrong.verify(&request, chrono::Utc::now()).is_err());
            // Without the v3 header the v1 signature holds too, where allowed.
            let legacy = SignedRequest {
                signature_v3: None,
                ..request
            };
            assert_eq!(
                verifier
                    .clone()
                    .allowing_legacy(true)
                    .verify(&legacy, chrono::Utc::now()),
                Ok(SignatureVersion::V1)
            );
            assert!(verifier.verify(&legacy, chrono::Utc::now()).is_err());
            events.extend(parse_events(body).unwrap());
        }
        let created = events
            .iter()
            .find(|e| {
                e.object_id.as_deref() == Some(contact.id.as_str())
                    && e.action == EventAction::Creation
            })
            .unwrap_or_else(|| panic!("no creation event for {} in {events:?}", contact.id));
        assert_eq!(created.object_type, Some(ObjectType::Contacts));
        assert_eq!(
            created.portal_id,
            Some(sandbox.config().portal_id.to_string())
        );
        assert!(
            created.written_by_app(&sandbox.config().app_id.to_string()),
            "writes with the app's token come back as INTEGRATION from our app id (§5.3): {created:?}"
        );
    }
}

mod gateway {
    //! `HubspotGateway` (the engine's `RecordGateway` port) against the HubSpot sandbox.

    use std::sync::Arc;
    use std::time::Duration;

    use chrono::Utc;
    use hqsync::adapters::hubspot_gateway::HubspotGateway;
    use hqsync::hubspot::{HubspotClient, ObjectType};
    use hqsync::model::{NativeValues, ObjectKind, Record, Side};
    use hqsync::ports::{
        CreateRequest, DeactivateRequest, GatewayError, RecordErrorKind, RecordGateway,
        SystemClock, UpdateRequest,
    };
    use hqsync_sandbox::hubspot::{HubspotSandbox, HubspotSandboxConfig};
    use hqsync_tests::hubspot::{start_default_hubspot_sandbox, start_hubspot_sandbox};
    use secrecy::SecretString;
    use serde_json::{Value, json};

    fn gateway_for(sandbox: &HubspotSandbox, token: &str) -> HubspotGateway {
        let client = HubspotClient::builder(SecretString::from(token.to_owned()))
            .base_url(sandbox.base_url())
            .build()
            .unwrap();
        HubspotGateway::new(client, Arc::new(SystemClock))
    }

    async fn ready() -> (HubspotSandbox, HubspotGateway) {
        let sandbox = start_default_hubspot_sandbox().await;
        let gateway = gateway_for(&sandbox, &sandbox.config().dev_token.clone());
        gateway.ensure_schema(&ObjectKind::TWO_WAY).await.unwrap();
        (sandbox, gateway)
    }

    fn values(pairs: &[(&str, Value)]) -> NativeValues {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect()
    }

    fn create(key: &str, pairs: &[(&str, Value)]) -> CreateRequest {
        CreateRequest {
            idempotency_key: key.to_owned(),
            values: values(pairs),
        }
    }

    #[tokio::test]
    async fn ensure_schema_adds_the_unique_link_properties_once() {
        let (sandbox, gateway) = ready().await;
        gateway.ensure_schema(&ObjectKind::TWO_WAY).await.unwrap();
        for (t, name) in [
            (ObjectType::Contacts, "qbo_customer_id"),
            (ObjectType::Products, "qbo_item_id"),
        ] {
            let property = gateway
                .client()
                .get_property(t, name)
                .await
                .unwrap()
                .unwrap();
            assert!(property.has_unique_value, "{name}");
        }
        assert_eq!(gateway.side(), Side::Hubspot);
        drop(sandbox);
    }

    #[tokio::test]
    async fn contact_creates_replay_instead_of_duplicating() {
        let (_sandbox, gateway) = ready().await;
        let requests = vec![
            create(
                "k1",
                &[
                    ("email", json!("Ada@Example.com")),
                    ("firstname", json!("Ada")),
                ],
            ),
            create(
                "k2",
                &[
                    ("firstname", json!("No")),
                    ("lastname", json!("Email")),
                    ("qbo_customer_id", json!("57")),
                ],
            ),
            create(
                "k3",
                &[
                    ("email", json!("grace@example.com")),
                    ("qbo_customer_id", json!("58")),
                ],
            ),
        ];
        let first = gateway
            .create(ObjectKind::Contact, requests.clone())
            .await
            .unwrap();
        let ids: Vec<String> = first
            .iter()
            .map(|r| r.as_ref().unwrap().id.clone())
            .collect();
        assert_eq!(
            first[0].as_ref().unwrap().value("firstname"),
            Some(&json!("Ada"))
        );
        assert!(first.iter().all(|r| r.as_ref().unwrap().active));
        // Replaying answers the same records: upsert by email, or by qbo_customer_id without.
        let again = gateway
            .create(ObjectKind::Contact, requests.clone())
            .await
            .unwrap();
        let again_ids: Vec<String> = again
            .iter()
            .map(|r| r.as_ref().unwrap().id.clone())
            .collect();
        assert_eq!(again_ids, ids);
        let mut all = Vec::new();
        let mut cursor = None;
        loop {
            let page = gateway
                .list_page(ObjectKind::Contact, cursor)
                .await
                .unwrap();
            all.extend(page.records);
            match page.next {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        assert_eq!(all.len(), 3, "no duplicates");

        // A clash on the unique qbo_customer_id is that record's Conflict naming the holder.
        let clash = gateway
            .create(
                ObjectKind::Contact,
                vec![create(
                    "k4",
                    &[
                        ("email", json!("other@example.com")),
                        ("qbo_customer_id", json!("58")),
                    ],
                )],
            )
            .await
            .unwrap();
        match &clash[0] {
            Err(e) => assert_eq!(
                e.kind,
                RecordErrorKind::Conflict {
                    existing_id: ids[2].clone()
                },
                "{e:?}"
            ),
            Ok(r) => panic!("created {r:?}"),
        }
    }

    /// Every record of `kind`, active and archived, through `list_page` (not search).
    async fn list_all(gateway: &HubspotGateway, kind: ObjectKind) -> Vec<Record> {
        let mut all = Vec::new();
        let mut cursor = None;
        loop {
            let page = gateway.list_page(kind, cursor).await.unwrap();
            all.extend(page.records);
            match page.next {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        all
    }

    /// A create replayed as after a lost answer (the same requests again) while search has not
    /// yet indexed the first one: the upsert on the unique QBO-id property finds the record by
    /// itself, so there is exactly one product and one e-mail-less contact.
    #[tokio::test]
    async fn replayed_creates_leave_one_record_while_search_lags() {
        let sandbox = start_hubspot_sandbox(HubspotSandboxConfig {
            search_index_delay: Duration::from_secs(3600),
            ..HubspotSandboxConfig::default()
        })
        .await;
        let gateway = gateway_for(&sandbox, &sandbox.config().dev_token.clone());
        gateway.ensure_schema(&ObjectKind::TWO_WAY).await.unwrap();
        let cases = [
            (
                ObjectKind::Product,
                create(
                    "p1",
                    &[
                        ("name", json!("Widget")),
                        ("hs_sku", json!("W-1")),
                        ("price", json!("12.50")),
                        ("qbo_item_id", json!("7")),
                    ],
                ),
                "hs_sku",
                "W-1",
            ),
            (
                ObjectKind::Contact,
                create(
                    "c1",
                    &[
                        ("firstname", json!("No")),
                        ("lastname", json!("Email")),
                        ("qbo_customer_id", json!("42")),
                    ],
                ),
                "lastname",
                "Email",
            ),
        ];
        for (kind, request, searched, value) in cases {
            let first = gateway.create(kind, vec![request.clone()]).await.unwrap();
            let id = first[0].as_ref().unwrap().id.clone();
            // Search has not seen the first create, so a search-based check could not either.
            let seen = gateway
                .find_by_field(kind, searched, &[value.to_owned()])
                .await
                .unwrap();
            assert!(seen.is_empty(), "{kind:?}: search lags: {seen:?}");
            let again = gateway.create(kind, vec![request]).await.unwrap();
            assert_eq!(again[0].as_ref().unwrap().id, id, "{kind:?}");
            let all = list_all(&gateway, kind).await;
            assert_eq!(all.len(), 1, "{kind:?}: exactly one record: {all:?}");
            assert_eq!(all[0].id, id);
        }
    }

    #[tokio::test]
    async fn product_creates_upsert_on_the_qbo_item_id() {
        let (_sandbox, gateway) = ready().await;
        let requests = vec![
            create(
                "p1",
                &[
                    ("name", json!("Widget")),
                    ("hs_sku", json!("W-1")),
                    ("price", json!("12.50")),
                    ("qbo_item_id", json!("7")),
                ],
            ),
            create(
                "p2",
                &[
                    ("name", json!("Gadget")),
                    ("price", json!(3)),
                    ("qbo_item_id", json!("8")),
                ],
            ),
        ];
        let first = gateway
            .create(ObjectKind::Product, requests.clone())
            .await
            .unwrap();
        let first_ids: Vec<String> = first
            .iter()
            .map(|r| r.as_ref().unwrap().id.clone())
            .collect();
        assert_eq!(first[1].as_ref().unwrap().value("price"), Some(&json!("3")));
        assert_eq!(
            first[0].as_ref().unwrap().value("qbo_item_id"),
            Some(&json!("7"))
        );
        let again = gateway.create(ObjectKind::Product, requests).await.unwrap();
        let again_ids: Vec<String> = again
            .iter()
            .map(|r| r.as_ref().unwrap().id.clone())
            .collect();
        assert_eq!(first_ids, again_ids, "the replay updates the same products");
        assert_eq!(list_all(&gateway, ObjectKind::Product).await.len(), 2);

        let bad = gateway
            .create(
                ObjectKind::Product,
                vec![
                    create(
                        "p3",
                        &[
                            ("name", json!("Broken")),
                            ("no_such_prop", json!("x")),
                            ("qbo_item_id", json!("9")),
                        ],
                    ),
                    create("p4", &[("name", json!("Keyless"))]),
                ],
            )
            .await
            .unwrap();
        assert!(
            matches!(&bad[0], Err(e) if e.kind == RecordErrorKind::Validation),
            "{bad:?}"
        );
        // Without the QBO id a create could not replay safely: refused, nothing written.
        match &bad[1] {
            Err(e) => {
                assert_eq!(e.kind, RecordErrorKind::Validation);
                assert!(e.message.contains("qbo_item_id"), "{e:?}");
            }
            Ok(r) => panic!("created {r:?}"),
        }
        assert_eq!(list_all(&gateway, ObjectKind::Product).await.len(), 2);
    }

    #[tokio::test]
    async fn a_contact_without_email_or_qbo_id_is_refused_alone() {
        let (_sandbox, gateway) = ready().await;
        let done = gateway
            .create(
                ObjectKind::Contact,
                vec![
                    create("n1", &[("firstname", json!("Nobody"))]),
                    create("n2", &[("email", json!("someone@example.com"))]),
                ],
            )
            .await
            .unwrap();
        assert!(
            matches!(&done[0], Err(e) if e.kind == RecordErrorKind::Validation
                && e.message.contains("qbo_customer_id")),
            "{done:?}"
        );
        assert!(done[1].is_ok(), "{done:?}");
        assert_eq!(list_all(&gateway, ObjectKind::Contact).await.len(), 1);
    }

    #[tokio::test]
    async fn read_find_update_deactivate_and_list_include_archived() {
        let (_sandbox, gateway) = ready().await;
        let made = gateway
            .create(
                ObjectKind::Contact,
                (0..3)
                    .map(|n| {
                        create(
                            &format!("c{n}"),
                            &[
                                ("email", json!(format!("c{n}@example.com"))),
                                ("qbo_customer_id", json!(format!("{}", 100 + n))),
                            ],
                        )
                    })
                    .collect(),
            )
            .await
            .unwrap();
        let ids: Vec<String> = made
            .iter()
            .map(|r| r.as_ref().unwrap().id.clone())
            .collect();

        let done = gateway
            .deactivate(
                ObjectKind::Contact,
                vec![DeactivateRequest {
                    id: ids[2].clone(),
                    expected_version: String::new(),
                }],
            )
            .await
            .unwrap();
        assert!(done[0].is_ok());

        let mut wanted = ids.clone();
        wanted.push("999999999".into());
        let read = gateway.read(ObjectKind::Contact, &wanted).await.unwrap();
        assert_eq!(
            read.len(),
            3,
            "missing ids are absent, archived ones included"
        );
        let archived = read.iter().find(|r| r.id == ids[2]).unwrap();
        assert!(!archived.active);
        assert!(read.iter().filter(|r| r.id != ids[2]).all(|r| r.active));

        let found = gateway
            .find_by_field(
                ObjectKind::Contact,
                "email",
                &["C0@EXAMPLE.COM".into(), "nobody@example.com".into()],
            )
            .await
            .unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].id, ids[0]);
        let by_link = gateway
            .find_by_field(
                ObjectKind::Contact,
                "qbo_customer_id",
                &["101".into(), "102".into()],
            )
            .await
            .unwrap();
        // An archived record does not hold its unique value any more (the sandbox frees it;
        // docs/hubspot.md does not say whether `idProperty` + `archived=true` finds it).
        let linked: Vec<_> = by_link.iter().map(|r| r.id.clone()).collect();
        assert_eq!(linked, vec![ids[1].clone()]);
        let by_name = gateway
            .find_by_field(ObjectKind::Contact, "firstname", &["nobody".into()])
            .await
            .unwrap();
        assert!(by_name.is_empty());

        let version = read
            .iter()
            .find(|r| r.id == ids[0])
            .unwrap()
            .version
            .clone();
        let updated = gateway
            .update(
                ObjectKind::Contact,
                vec![
                    UpdateRequest {
                        id: ids[0].clone(),
                        expected_version: version,
                        values: values(&[("lastname", json!("Lovelace")), ("phone", Value::Null)]),
                    },
                    UpdateRequest {
                        id: "999999999".into(),
                        expected_version: String::new(),
                        values: values(&[("lastname", json!("X"))]),
                    },
                ],
            )
            .await
            .unwrap();
        let record = updated[0].as_ref().unwrap();
        assert_eq!(record.value("lastname"), Some(&json!("Lovelace")));
        assert!(
            matches!(&updated[1], Err(e) if e.kind == RecordErrorKind::NotFound),
            "{updated:?}"
        );

        let mut listed = Vec::new();
        let mut cursor = None;
        loop {
            let page = gateway
                .list_page(ObjectKind::Contact, cursor)
                .await
                .unwrap();
            listed.extend(page.records);
            match page.next {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        assert_eq!(listed.len(), 3);
        assert_eq!(listed.iter().filter(|r| !r.active).count(), 1);
    }

    #[tokio::test]
    async fn changed_since_finds_recent_writes_and_keeps_a_safe_watermark() {
        let (_sandbox, gateway) = ready().await;
        let since = Utc::now() - chrono::Duration::minutes(5);
        let made = gateway
            .create(
                ObjectKind::Product,
                (0..5)
                    .map(|n| {
                        create(
                            &format!("x{n}"),
                            &[
                                ("name", json!(format!("Thing {n}"))),
                                ("qbo_item_id", json!(format!("{}", 200 + n))),
                            ],
                        )
                    })
                    .collect(),
            )
            .await
            .unwrap();
        let changes = gateway
            .changed_since(ObjectKind::Product, since)
            .await
            .unwrap();
        assert_eq!(changes.records.len(), 5);
        let ids: std::collections::HashSet<_> = made
            .iter()
            .map(|r| r.as_ref().unwrap().id.clone())
            .collect();
        assert!(changes.records.iter().all(|r| ids.contains(&r.id)));
        assert!(changes.watermark >= since);
        assert!(
            changes.watermark <= Utc::now() - chrono::Duration::seconds(29),
            "stays behind search lag"
        );
        let none = gateway
            .changed_since(
                ObjectKind::Product,
                Utc::now() + chrono::Duration::minutes(1),
            )
            .await
            .unwrap();
        assert!(none.records.is_empty());
    }

    #[tokio::test]
    async fn whole_call_failures_are_gateway_errors() {
        let sandbox = start_default_hubspot_sandbox().await;
        let gateway = gateway_for(&sandbox, "revoked-token");
        let err = gateway
            .read(ObjectKind::Contact, &["1".into()])
            .await
            .unwrap_err();
        assert!(matches!(err, GatewayError::Unauthorized { .. }), "{err:?}");
        let err = gateway
            .update(
                ObjectKind::Contact,
                vec![UpdateRequest {
                    id: "1".into(),
                    expected_version: String::new(),
                    values: NativeValues::new(),
                }],
            )
            .await
            .unwrap_err();
        assert!(matches!(err, GatewayError::Unauthorized { .. }), "{err:?}");
        assert!(!err.to_string().contains("revoked-token"));
    }
}
