//! `QboClient` over real HTTP: a scripted stand-in server pins down URL forms, parameters,
//! retries and error context; the QBO sandbox exercises every operation (docs/quickbooks.md).

mod scripted {
    //! A server that answers from a closure and records each request, to check exactly what
    //! the client sends (minorversion, requestid, URL forms, bodies) and how it retries.

    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use axum::body::Bytes;
    use axum::extract::State;
    use axum::http::{HeaderMap, Method, StatusCode, Uri};
    use axum::response::{IntoResponse, Response};
    use chrono::Utc;
    use hqsync::http::RetryPolicy;
    use hqsync::quickbooks::entities::Ref;
    use hqsync::quickbooks::oauth::{OAuthClient, OAuthError};
    use hqsync::quickbooks::{
        BatchItem, CompanyBudgets, Customer, Invoice, Item, Payment, QboClient, QboEnvironment,
        QboError, Query, RealmId, RequestId, throttle,
    };
    use hqsync_tests::fixtures;
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
        fn param(&self, name: &str) -> Option<String> {
            form_pairs(self.query.as_bytes())
                .into_iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v)
        }
        fn header(&self, name: &str) -> Option<&str> {
            self.headers.get(name).and_then(|v| v.to_str().ok())
        }
    }

    /// Decodes `a=b&c=d` (query strings and form bodies) with the URL parser reqwest re-exports.
    fn form_pairs(encoded: &[u8]) -> Vec<(String, String)> {
        let text = String::from_utf8_lossy(encoded);
        reqwest::Url::parse(&format!("http://decode.invalid/?{text}"))
            .unwrap()
            .query_pairs()
            .into_owned()
            .collect()
    }

    /// `(status, extra headers, body)` for a request, given how many came before it.
    type Answer =
        Box<dyn Fn(&Seen, usize) -> (u16, Vec<(&'static str, String)>, String) + Send + Sync>;

    struct Script {
        answer: Answer,
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
        let n = {
            let mut all = script.seen.lock().unwrap();
            all.push(seen.clone());
            all.len() - 1
        };
        let (status, headers, body) = (script.answer)(&seen, n);
        let mut response = (StatusCode::from_u16(status).unwrap(), body).into_response();
        response
            .headers_mut()
            .insert("content-type", "application/json".parse().unwrap());
        response
            .headers_mut()
            .insert("intuit_tid", format!("tid-{n}").parse().unwrap());
        for (k, v) in headers {
            response.headers_mut().insert(k, v.parse().unwrap());
        }
        response
    }

    struct Stub {
        script: Arc<Script>,
        base: reqwest::Url,
        _task: tokio::task::JoinHandle<()>,
    }

    impl Stub {
        async fn start(
            answer: impl Fn(&Seen, usize) -> (u16, Vec<(&'static str, String)>, String)
            + Send
            + Sync
            + 'static,
        ) -> Stub {
            let script = Arc::new(Script {
                answer: Box::new(answer),
                seen: Mutex::new(Vec::new()),
            });
            let app = axum::Router::new()
                .fallback(handle)
                .with_state(script.clone());
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let task = tokio::spawn(async move {
                axum::serve(listener, app).await.unwrap();
            });
            Stub {
                script,
                base: reqwest::Url::parse(&format!("http://{addr}")).unwrap(),
                _task: task,
            }
        }

        fn client(&self) -> QboClient {
            QboClient::new(
                &QboEnvironment::Custom(self.base.clone()),
                RealmId::new("123").unwrap(),
                SecretString::from("access-1"),
            )
            .unwrap()
            .with_budgets(CompanyBudgets::unlimited())
            .with_retry_policy(FAST)
        }

        fn seen(&self) -> Vec<Seen> {
            self.script.seen.lock().unwrap().clone()
        }
    }

    const FAST: RetryPolicy = RetryPolicy {
        max_transient_retries: 2,
        max_throttle_waits: 1,
        min_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(20),
    };

    fn fixture(name: &str) -> String {
        fixtures::text("quickbooks", name)
    }

    fn ok(body: String) -> (u16, Vec<(&'static str, String)>, String) {
        (200, vec![], body)
    }

    #[tokio::test]
    async fn every_call_carries_minorversion_the_bearer_token_and_the_company_path() {
        let stub = Stub::start(|seen, _| {
            if seen.path.ends_with("/preferences") {
                ok(fixture("preferences-read-response.json"))
            } else if seen.path.contains("/companyinfo/") {
                ok(fixture("companyinfo-read-response.json"))
            } else {
                ok(fixture("customer-read-response.json"))
            }
        })
        .await;
        let client = stub.client();
        let customer: Customer = client.read("2").await.unwrap();
        assert_eq!(
            customer.display_name.as_deref(),
            Some("Bill's Windsurf Shop")
        );
        let prefs = client.preferences().await.unwrap();
        assert!(!prefs.custom_txn_numbers());
        let info = client.company_info().await.unwrap();
        assert_eq!(info.company_name.as_deref(), Some("Larry's Bakery"));
        let seen = stub.seen();
        assert_eq!(seen[0].method, Method::GET);
        assert_eq!(seen[0].path, "/v3/company/123/customer/2");
        assert_eq!(seen[1].path, "/v3/company/123/preferences");
        assert_eq!(seen[2].path, "/v3/company/123/companyinfo/123");
        for s in &seen {
            assert_eq!(s.param("minorversion").as_deref(), Some("75"), "{s:?}");
            assert_eq!(s.header("authorization"), Some("Bearer access-1"));
            assert_eq!(s.header("accept"), Some("application/json"));
        }
        assert_eq!(client.requests_sent(), 3);
    }

    #[tokio::test]
    async fn creates_send_a_deterministic_requestid_so_a_repeat_replays() {
        let stub = Stub::start(|_, _| ok(fixture("customer-create-response.json"))).await;
        let client = stub.client();
        let new: Customer = serde_json::from_str(&fixture("customer-create-request.json")).unwrap();
        let first = client.create_idempotent(&new).await.unwrap();
        let again = client.create_idempotent(&new).await.unwrap();
        assert_eq!(first.id.as_deref(), Some("67"));
        assert_eq!(first, again);
        let other = Customer {
            display_name: Some("Someone else".into()),
            ..new.clone()
        };
        client.create_idempotent(&other).await.unwrap();
        let explicit = RequestId::new("wf-exec-42").unwrap();
        client.create(&new, &explicit).await.unwrap();
        let seen = stub.seen();
        let ids: Vec<_> = seen.iter().map(|s| s.param("requestid").unwrap()).collect();
        assert_eq!(ids[0], ids[1], "same payload, same requestid");
        assert_ne!(ids[0], ids[2], "different payload, different requestid");
        assert_eq!(ids[3], "wf-exec-42");
        assert!(ids.iter().all(|id| id.len() <= 50));
        assert_eq!(seen[0].method, Method::POST);
        assert_eq!(seen[0].path, "/v3/company/123/customer");
        assert_eq!(seen[0].json()["DisplayName"], "King's Groceries");
        assert!(
            seen[0].json().get("Id").is_none(),
            "absent fields stay absent"
        );
    }

    #[tokio::test]
    async fn sparse_updates_send_only_the_patch_with_id_synctoken_and_sparse() {
        let stub = Stub::start(|_, _| ok(fixture("item-read-response.json"))).await;
        let client = stub.client();
        let patch = Item {
            id: Some("11".into()),
            sync_token: Some("3".into()),
            unit_price: Some("15.50".parse().unwrap()),
            ..Item::default()
        };
        client.sparse_update(&patch).await.unwrap();
        let body = stub.seen()[0].json();
        let expected: Value = serde_json::from_str(
            r#"{"Id": "11", "SyncToken": "3", "UnitPrice": 15.50, "sparse": true}"#,
        )
        .unwrap();
        assert_eq!(body, expected);
        assert_eq!(
            body["UnitPrice"].to_string(),
            "15.50",
            "money is a JSON number"
        );
        let missing_token = Item {
            id: Some("11".into()),
            ..Item::default()
        };
        assert!(matches!(
            client.sparse_update(&missing_token).await,
            Err(QboError::InvalidRequest(_))
        ));
        assert_eq!(stub.seen().len(), 1, "an invalid update is never sent");
    }

    #[tokio::test]
    async fn deactivate_void_and_delete_use_their_documented_url_forms() {
        let stub = Stub::start(|seen, _| {
            let body = if seen.path.ends_with("/customer") {
                fixture("customer-read-response.json")
            } else if seen.path.ends_with("/invoice") && seen.param("operation").as_deref() == Some("delete") {
                fixture("invoice-delete-response.json")
            } else if seen.path.ends_with("/invoice") {
                fixture("invoice-read-response.json")
            } else if seen.param("operation").as_deref() == Some("delete") {
                r#"{"Payment":{"status":"Deleted","domain":"QBO","Id":"163"},"time":"2015-01-16T10:00:00-08:00"}"#.into()
            } else {
                fixture("payment-read-response.json")
            };
            ok(body)
        })
        .await;
        let client = stub.client();
        client.deactivate::<Customer>("2", "0").await.unwrap();
        client.void_invoice("130", "1").await.unwrap();
        let deleted = client.delete_invoice("33", "2").await.unwrap();
        assert_eq!(
            (deleted.entity.as_str(), deleted.id.as_str()),
            ("Invoice", "33")
        );
        client.void_payment("163", "0").await.unwrap();
        let deleted = client.delete_payment("163", "1").await.unwrap();
        assert_eq!(deleted.id, "163");

        let seen = stub.seen();
        let shape = |s: &Seen| {
            (
                s.path.rsplit('/').next().unwrap().to_string(),
                s.param("operation"),
                s.param("include"),
                s.json(),
            )
        };
        assert_eq!(
            shape(&seen[0]),
            (
                "customer".into(),
                None,
                None,
                json!({"Id":"2","SyncToken":"0","sparse":true,"Active":false})
            )
        );
        assert_eq!(
            shape(&seen[1]),
            (
                "invoice".into(),
                Some("void".into()),
                None,
                json!({"Id":"130","SyncToken":"1"})
            )
        );
        assert_eq!(
            shape(&seen[2]),
            (
                "invoice".into(),
                Some("delete".into()),
                None,
                json!({"Id":"33","SyncToken":"2"})
            )
        );
        assert_eq!(
            shape(&seen[3]),
            (
                "payment".into(),
                Some("update".into()),
                Some("void".into()),
                json!({"Id":"163","SyncToken":"0","sparse":true})
            )
        );
        assert_eq!(
            shape(&seen[4]),
            (
                "payment".into(),
                Some("delete".into()),
                None,
                json!({"Id":"163","SyncToken":"1"})
            )
        );
        assert!(
            seen.iter()
                .all(|s| s.method == Method::POST && s.param("requestid").is_some())
        );
    }

    #[tokio::test]
    async fn faults_keep_the_intuit_tid_and_are_not_retried() {
        let stub = Stub::start(|_, _| (400, vec![], fixture("error-5010-stale-object.json"))).await;
        let client = stub.client();
        let err = client
            .sparse_update(&Customer {
                id: Some("1".into()),
                sync_token: Some("0".into()),
                notes: Some("x".into()),
                ..Customer::default()
            })
            .await
            .unwrap_err();
        assert!(matches!(err, QboError::StaleObject(_)), "{err:?}");
        assert_eq!(err.intuit_tid(), Some("tid-0"));
        assert!(err.to_string().contains("tid-0"));
        assert_eq!(stub.seen().len(), 1);
    }

    #[tokio::test]
    async fn unexpected_success_bodies_and_2xx_faults_keep_the_intuit_tid_too() {
        let stub = Stub::start(|_, n| match n {
            0 => ok(r#"{"Item":{"Id":"1"},"time":"2026-01-01T00:00:00-08:00"}"#.into()),
            _ => ok(fixture("error-6240-duplicate-name.json")),
        })
        .await;
        let client = stub.client();
        let err = client.read::<Customer>("1").await.unwrap_err();
        assert!(matches!(err, QboError::Decode { .. }), "{err:?}");
        assert_eq!(err.intuit_tid(), Some("tid-0"));
        let err = client.read::<Customer>("1").await.unwrap_err();
        assert!(
            matches!(err, QboError::DuplicateName(_)),
            "a fault on a 2xx is a fault: {err:?}"
        );
        assert_eq!(err.intuit_tid(), Some("tid-1"));
    }

    #[tokio::test]
    async fn a_429_waits_as_told_then_succeeds_and_5xx_is_retried() {
        let stub = Stub::start(|_, n| match n {
            0 => (
                429,
                vec![("retry-after", "1".into())],
                fixture("error-429-throttle.json"),
            ),
            1 => (503, vec![], String::new()),
            _ => ok(fixture("customer-read-response.json")),
        })
        .await;
        let client = stub.client();
        let start = std::time::Instant::now();
        let customer: Customer = client.read("2").await.unwrap();
        assert_eq!(customer.id.as_deref(), Some("2"));
        assert!(
            start.elapsed() >= Duration::from_millis(900),
            "waited for Retry-After"
        );
        assert_eq!(stub.seen().len(), 3);
    }

    #[tokio::test]
    async fn a_429_on_a_batch_pauses_batches_only_and_on_a_single_request_the_company() {
        let stub = Stub::start(|seen, _| {
            if seen.path.ends_with("/batch") || seen.path.ends_with("/customer/2") {
                (429, vec![("retry-after", "0".into())], String::new())
            } else {
                ok(fixture("customer-read-response.json"))
            }
        })
        .await;
        // A realm of its own: the pause counts are per realm and process-wide.
        let realm = "918273645";
        let client = QboClient::new(
            &QboEnvironment::Custom(stub.base.clone()),
            RealmId::new(realm).unwrap(),
            SecretString::from("access-1"),
        )
        .unwrap()
        .with_budgets(CompanyBudgets::unlimited())
        .with_retry_policy(FAST);
        let item = BatchItem::create(&Customer {
            display_name: Some("Batch".into()),
            ..Customer::default()
        })
        .unwrap();
        let err = client.batch(&[item]).await.unwrap_err();
        assert!(matches!(err, QboError::Throttled { .. }), "{err:?}");
        let after_batch = throttle::pauses_of(realm);
        assert_eq!((after_batch.batch, after_batch.company), (1, 0));
        let err = client.read::<Customer>("2").await.unwrap_err();
        assert!(matches!(err, QboError::Throttled { .. }), "{err:?}");
        let after_read = throttle::pauses_of(realm);
        assert_eq!((after_read.batch, after_read.company), (1, 1));
        assert!(after_read.paused_until.is_some());
    }

    #[tokio::test]
    async fn a_throttle_beyond_the_policy_is_returned_as_throttled_not_a_record_failure() {
        let stub =
            Stub::start(|_, _| (429, vec![("retry-after", "0".into())], String::new())).await;
        let err = stub.client().read::<Customer>("2").await.unwrap_err();
        assert!(matches!(err, QboError::Throttled { .. }), "{err:?}");
        assert_eq!(stub.seen().len(), 2, "one attempt plus one throttle wait");
    }

    #[tokio::test]
    async fn queries_are_posted_as_text_and_read_in_pages_and_id_batches() {
        let stub = Stub::start(|seen, _| {
            let statement = String::from_utf8(seen.body.to_vec()).unwrap();
            if statement.contains("COUNT(*)") {
                return ok(fixture("query-response-count.json"));
            }
            // Pages of 1000 then 3, with ids from the STARTPOSITION.
            let start: usize = statement
                .split("STARTPOSITION ")
                .nth(1)
                .and_then(|s| s.split(' ').next())
                .and_then(|s| s.parse().ok())
                .unwrap_or(1);
            let n = if statement.contains("Id IN") {
                statement.matches(',').count() + 1 - 1 // `Active IN (true,false)` has one comma
            } else if start == 1 {
                1000
            } else {
                3
            };
            let items: Vec<Value> = (0..n)
                .map(|i| json!({"Id": (start + i).to_string(), "DisplayName": format!("C{}", start + i), "Active": i % 2 == 0}))
                .collect();
            ok(json!({"QueryResponse": {"Customer": items, "startPosition": start, "maxResults": n}, "time": "2026-01-01T00:00:00-08:00"}).to_string())
        })
        .await;
        let client = stub.client();
        let all: Vec<Customer> = client
            .query_all(Query::select("Customer").include_inactive())
            .await
            .unwrap();
        assert_eq!(all.len(), 1003);
        let count = client.count(&Query::count("Customer")).await.unwrap();
        assert_eq!(count, 5);
        let ids: Vec<String> = (1..=600).map(|i| i.to_string()).collect();
        let read: Vec<Customer> = client.read_many(&ids).await.unwrap();
        assert_eq!(read.len(), 600);

        let seen = stub.seen();
        let statements: Vec<String> = seen
            .iter()
            .map(|s| String::from_utf8(s.body.to_vec()).unwrap())
            .collect();
        assert!(
            seen.iter()
                .all(|s| s.method == Method::POST && s.path.ends_with("/query"))
        );
        assert!(
            seen.iter()
                .all(|s| s.header("content-type") == Some("application/text"))
        );
        assert_eq!(
            statements[0],
            "SELECT * FROM Customer WHERE Active IN (true,false) ORDERBY Id STARTPOSITION 1 MAXRESULTS 1000"
        );
        assert!(statements[1].ends_with("STARTPOSITION 1001 MAXRESULTS 1000"));
        assert_eq!(statements[2], "SELECT COUNT(*) FROM Customer");
        assert_eq!(
            seen.len(),
            5,
            "two pages, one count, two Id IN chunks (500 + 100)"
        );
        assert!(statements[3].starts_with("SELECT * FROM Customer WHERE Id IN ('1','2',"));
        assert!(
            statements[3].contains("AND Active IN (true,false)"),
            "inactive customers too"
        );
        assert!(statements[4].ends_with("MAXRESULTS 100"));
    }

    #[tokio::test]
    async fn a_saturated_cdc_answer_is_split_by_entity_and_never_trusted() {
        let stub = Stub::start(|seen, _| {
            let entities = seen.param("entities").unwrap();
            let n = if entities.contains(',') { 1000 } else { 400 };
            let objects: Vec<Value> = (0..n).map(|i| json!({"Id": i.to_string()})).collect();
            let mut group = serde_json::Map::new();
            for entity in entities.split(',') {
                group.insert(entity.to_string(), Value::Array(objects.clone()));
            }
            group.insert("startPosition".into(), json!(1));
            ok(json!({"CDCResponse": [{"QueryResponse": [Value::Object(group)]}], "time": "2026-01-01T00:00:00-08:00"}).to_string())
        })
        .await;
        let client = stub.client();
        let since = (Utc::now() - chrono::Duration::days(2)).fixed_offset();
        let changes = client
            .changes_since(&["Customer", "Item"], since)
            .await
            .unwrap();
        assert_eq!(changes.objects["Customer"].len(), 400);
        assert_eq!(changes.objects["Item"].len(), 400);
        assert_eq!(changes.cdc_requests, 3);
        assert_eq!(changes.deletions_unknown_before, None);
        let seen = stub.seen();
        assert_eq!(seen.len(), 3);
        assert_eq!(seen[0].path, "/v3/company/123/cdc");
        assert_eq!(seen[0].param("entities").as_deref(), Some("Customer,Item"));
        let sent =
            chrono::DateTime::parse_from_rfc3339(&seen[0].param("changedSince").unwrap()).unwrap();
        assert_eq!(sent.timestamp(), since.timestamp());

        let too_old = (Utc::now() - chrono::Duration::days(31)).fixed_offset();
        assert!(matches!(
            client.changes_since(&["Customer"], too_old).await,
            Err(QboError::CdcWindowTooOld { .. })
        ));
        assert_eq!(stub.seen().len(), 3, "an out-of-window CDC is not sent");
    }

    #[tokio::test]
    async fn batches_are_chunked_to_thirty_and_answered_per_item_in_order() {
        let stub = Stub::start(|seen, _| {
            let request = seen.json();
            let items: Vec<Value> = request["BatchItemRequest"]
                .as_array()
                .unwrap()
                .iter()
                .rev() // order is not guaranteed (§8)
                .map(|item| {
                    let bid = item["bId"].clone();
                    let name = item["Customer"]["DisplayName"].as_str().unwrap_or("");
                    if name.ends_with('7') {
                        json!({"bId": bid, "Fault": {"type": "ValidationFault", "Error": [{"Message": "Duplicate Name Exists Error", "code": "6240", "Detail": "d", "element": ""}]}})
                    } else {
                        json!({"bId": bid, "Customer": {"Id": format!("id-{name}"), "SyncToken": "0", "DisplayName": name}})
                    }
                })
                .collect();
            ok(json!({"BatchItemResponse": items, "time": "2026-01-01T00:00:00-08:00"}).to_string())
        })
        .await;
        let client = stub.client();
        let items: Vec<BatchItem> = (0..65)
            .map(|i| {
                BatchItem::create(&Customer {
                    display_name: Some(format!("N{i}")),
                    ..Customer::default()
                })
                .unwrap()
            })
            .collect();
        let results = client.batch(&items).await.unwrap();
        assert_eq!(results.len(), 65);
        for (i, result) in results.iter().enumerate() {
            if i % 10 == 7 {
                assert!(
                    matches!(result, Err(QboError::DuplicateName(_))),
                    "{i}: {result:?}"
                );
            } else {
                let c: Customer = result.as_ref().unwrap().entity().unwrap();
                assert_eq!(c.id, Some(format!("id-N{i}")));
            }
        }
        let seen = stub.seen();
        let sizes: Vec<usize> = seen
            .iter()
            .map(|s| s.json()["BatchItemRequest"].as_array().unwrap().len())
            .collect();
        assert_eq!(sizes, vec![30, 30, 5]);
        for s in &seen {
            assert_eq!(s.path, "/v3/company/123/batch");
            let rid = s.param("requestid").unwrap();
            assert!(rid.len() <= 36, "batch requestid ≤ 36 chars");
            for item in s.json()["BatchItemRequest"].as_array().unwrap() {
                assert!(item["bId"].as_str().unwrap().len() <= 10);
                assert_eq!(item["operation"], "create");
            }
        }
    }

    #[tokio::test]
    async fn token_refresh_uses_basic_auth_and_a_form_and_returns_the_rotated_token() {
        let stub = Stub::start(|seen, _| {
            let form: std::collections::HashMap<String, String> =
                form_pairs(&seen.body).into_iter().collect();
            let basic = format!(
                "Basic {}",
                base64::Engine::encode(&base64::engine::general_purpose::STANDARD, "client-id:client-secret")
            );
            if seen.header("authorization") != Some(basic.as_str()) {
                return (401, vec![], r#"{"error":"invalid_client"}"#.into());
            }
            if form.get("refresh_token").map(String::as_str) != Some("refresh-1") {
                return (400, vec![], fixture("oauth-error-invalid-grant.json"));
            }
            assert_eq!(form["grant_type"], "refresh_token");
            assert_eq!(seen.header("content-type"), Some("application/x-www-form-urlencoded"));
            ok(r#"{"token_type":"bearer","access_token":"access-2","refresh_token":"refresh-2","expires_in":3600,"x_refresh_token_expires_in":8726400,"x_refresh_token_hard_expires_in":156032154}"#.into())
        })
        .await;
        let token_url = stub.base.join("oauth2/v1/tokens/bearer").unwrap();
        let oauth = OAuthClient::with_token_url(
            token_url.clone(),
            "client-id",
            SecretString::from("client-secret"),
        );
        let tokens = oauth
            .refresh(&SecretString::from("refresh-1"))
            .await
            .unwrap();
        assert_eq!(tokens.refresh_token.expose_secret(), "refresh-2");
        assert_eq!(tokens.access_token.expose_secret(), "access-2");
        assert!(tokens.refresh_token_hard_expires_at().is_some());
        let stale = oauth
            .refresh(&SecretString::from("refresh-0"))
            .await
            .unwrap_err();
        assert!(
            matches!(stale, OAuthError::InvalidGrant { .. }),
            "{stale:?}"
        );
        let wrong = OAuthClient::with_token_url(token_url, "client-id", SecretString::from("nope"));
        assert!(matches!(
            wrong.refresh(&SecretString::from("refresh-1")).await,
            Err(OAuthError::InvalidClient { .. })
        ));
        assert_eq!(
            stub.seen()[0].header("x-include-refresh-token-hard-expires-in"),
            Some("true")
        );
    }

    #[tokio::test]
    async fn a_rotated_access_token_is_used_by_every_clone() {
        let stub = Stub::start(|seen, _| {
            if seen.header("authorization") == Some("Bearer access-2") {
                ok(fixture("customer-read-response.json"))
            } else {
                (
                    401,
                    vec![],
                    fixture("error-401-authentication-lowercase.json"),
                )
            }
        })
        .await;
        let client = stub.client();
        let clone = client.clone();
        let err = client.read::<Customer>("2").await.unwrap_err();
        assert!(matches!(err, QboError::Authentication(_)), "{err:?}");
        assert!(!format!("{err}").contains("ACCESS_TOKEN_PLACEHOLDER"));
        client.set_access_token(SecretString::from("access-2"));
        let c: Customer = clone.read("2").await.unwrap();
        assert_eq!(c.id.as_deref(), Some("2"));
    }

    #[tokio::test]
    async fn invoice_and_payment_creates_send_money_as_numbers_and_dates_as_days() {
        let stub = Stub::start(|seen, _| {
            if seen.path.ends_with("/invoice") {
                ok(fixture("invoice-read-response.json"))
            } else {
                ok(fixture("payment-read-response.json"))
            }
        })
        .await;
        let client = stub.client();
        let invoice = Invoice {
            customer_ref: Some(Ref::to("1")),
            txn_date: Some("2026-03-01".parse().unwrap()),
            line: vec![hqsync::quickbooks::entities::Line {
                detail_type: Some("SalesItemLineDetail".into()),
                amount: Some("300.00".parse().unwrap()),
                sales_item_line_detail: Some(hqsync::quickbooks::entities::SalesItemLineDetail {
                    item_ref: Some(Ref::to("5")),
                    qty: Some("2".parse().unwrap()),
                    unit_price: Some("150.00".parse().unwrap()),
                    ..Default::default()
                }),
                ..Default::default()
            }],
            ..Invoice::default()
        };
        let created = client.create_idempotent(&invoice).await.unwrap();
        assert_eq!(created.total_amt, Some("362.07".parse().unwrap()));
        let payment = Payment {
            customer_ref: Some(Ref::to("1")),
            total_amt: Some("55.00".parse().unwrap()),
            ..Payment::default()
        };
        client.create_idempotent(&payment).await.unwrap();
        let seen = stub.seen();
        let body = seen[0].json();
        assert_eq!(body["TxnDate"], "2026-03-01");
        assert_eq!(body["Line"][0]["Amount"].to_string(), "300.00");
        assert_eq!(
            body["Line"][0]["SalesItemLineDetail"]["Qty"].to_string(),
            "2"
        );
        assert_eq!(seen[1].json()["TotalAmt"].to_string(), "55.00");
    }
}

mod against_sandbox {
    //! Every client operation against the QBO sandbox: success and error paths, CDC, batch,
    //! webhooks and token rotation. Where the sandbox and the docs disagree, the docs win.

    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use chrono::Utc;
    use hqsync::http::RetryPolicy;
    use hqsync::quickbooks::entities::{Line, Ref, SalesItemLineDetail};
    use hqsync::quickbooks::limits::{CompanyLimits, RETRY_POLICY};
    use hqsync::quickbooks::oauth::{OAuthClient, OAuthError};
    use hqsync::quickbooks::webhook::{Operation, PayloadFormat, parse_delivery, verify_signature};
    use hqsync::quickbooks::{
        Account, BatchItem, CompanyBudgets, Customer, Invoice, Item, ItemType, Payment, QboClient,
        QboEnvironment, QboError, Query, RealmId, RequestId, TaxCode,
    };
    use hqsync_sandbox::quickbooks::WebhookPayloadFormat;
    use hqsync_tests::quickbooks::{
        QuickbooksSandbox, QuickbooksSandboxConfig, start_quickbooks_sandbox,
    };
    use rust_decimal::Decimal;
    use secrecy::{ExposeSecret, SecretString};
    use serde_json::{Value, json};

    fn dec(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn client_for(sandbox: &QuickbooksSandbox, token: &str) -> QboClient {
        QboClient::new(
            &QboEnvironment::Custom(reqwest::Url::parse(&sandbox.base_url()).unwrap()),
            RealmId::new(sandbox.config().realm_id.clone()).unwrap(),
            SecretString::from(token.to_string()),
        )
        .unwrap()
        .with_budgets(CompanyBudgets::real())
        .with_retry_policy(RetryPolicy {
            max_throttle_waits: 0,
            ..RETRY_POLICY
        })
    }

    async fn start() -> (QuickbooksSandbox, QboClient) {
        start_with(QuickbooksSandboxConfig::default()).await
    }

    async fn start_with(config: QuickbooksSandboxConfig) -> (QuickbooksSandbox, QboClient) {
        let sandbox = start_quickbooks_sandbox(config).await;
        let client = client_for(&sandbox, &sandbox.config().dev_token.clone());
        (sandbox, client)
    }

    fn customer(name: &str, email: &str) -> Customer {
        Customer {
            display_name: Some(name.into()),
            given_name: Some("Ada".into()),
            primary_email_addr: Some(hqsync::quickbooks::entities::EmailAddress::new(email)),
            ..Customer::default()
        }
    }

    async fn income_account(client: &QboClient) -> String {
        let accounts: Vec<Account> = client
            .query_all(Query::select("Account").eq("AccountType", "Income"))
            .await
            .unwrap();
        assert!(!accounts.is_empty(), "a new company has income accounts");
        accounts[0].id.clone().unwrap()
    }

    async fn service_item(client: &QboClient, name: &str, price: &str) -> Item {
        let item = Item {
            name: Some(name.into()),
            item_type: Some(ItemType::Service),
            unit_price: Some(dec(price)),
            sku: Some(format!("SKU-{name}")),
            income_account_ref: Some(Ref::to(income_account(client).await)),
            ..Item::default()
        };
        client.create_idempotent(&item).await.unwrap()
    }

    #[tokio::test]
    async fn customer_lifecycle_create_replay_read_update_stale_deactivate() {
        let (_sandbox, client) = start().await;
        let new = customer("O'Brien Ltd", "ann@example.com");
        let created = client.create_idempotent(&new).await.unwrap();
        let id = created.id.clone().unwrap();
        assert_eq!(created.sync_token.as_deref(), Some("0"));
        assert!(
            created
                .meta_data
                .as_ref()
                .unwrap()
                .last_updated_time
                .is_some()
        );

        let replayed = client.create_idempotent(&new).await.unwrap();
        assert_eq!(
            replayed.id.as_deref(),
            Some(id.as_str()),
            "same requestid replays"
        );
        let all: Vec<Customer> = client.query_all(Query::select("Customer")).await.unwrap();
        assert_eq!(all.len(), 1, "no duplicate from the replay");

        let read: Customer = client.read(&id).await.unwrap();
        assert_eq!(read.email(), Some("ann@example.com"));
        let found: Vec<Customer> = client
            .query_all(Query::select("Customer").eq("DisplayName", "O'Brien Ltd"))
            .await
            .unwrap();
        assert_eq!(found.len(), 1, "escaped quote matches");

        let patch = Customer {
            id: Some(id.clone()),
            sync_token: read.sync_token.clone(),
            primary_email_addr: Some(hqsync::quickbooks::entities::EmailAddress::new(
                "new@example.com",
            )),
            ..Customer::default()
        };
        let updated = client.sparse_update(&patch).await.unwrap();
        assert_eq!(updated.sync_token.as_deref(), Some("1"));
        assert_eq!(updated.email(), Some("new@example.com"));
        assert_eq!(
            updated.given_name.as_deref(),
            Some("Ada"),
            "sparse keeps other fields"
        );

        let stale = Customer {
            notes: Some("late".into()),
            ..patch.clone()
        };
        let err = client.sparse_update(&stale).await.unwrap_err();
        assert!(matches!(err, QboError::StaleObject(_)), "{err:?}");
        assert!(err.intuit_tid().is_some(), "intuit_tid kept with the error");

        let inactive: Customer = client.deactivate(&id, "1").await.unwrap();
        assert_eq!(inactive.active, Some(false));
        let active_only: Vec<Customer> = client.query_all(Query::select("Customer")).await.unwrap();
        assert!(
            active_only.is_empty(),
            "queries hide inactive customers by default"
        );
        let with_inactive: Vec<Customer> = client
            .query_all(Query::select("Customer").include_inactive())
            .await
            .unwrap();
        assert_eq!(with_inactive.len(), 1);
        let by_id: Vec<Customer> = client
            .read_many(&[id.clone(), "999999".into()])
            .await
            .unwrap();
        assert_eq!(
            by_id.len(),
            1,
            "Id IN reads include inactive records, skip missing ids"
        );

        let missing = client.read::<Customer>("999999").await.unwrap_err();
        assert!(matches!(missing, QboError::NotFound(_)), "{missing:?}");
    }

    #[tokio::test]
    async fn duplicate_names_are_typed_in_both_fault_casings() {
        for lowercase in [false, true] {
            let (_sandbox, client) = start_with(QuickbooksSandboxConfig {
                lowercase_duplicate_name_fault: lowercase,
                ..QuickbooksSandboxConfig::default()
            })
            .await;
            client
                .create_idempotent(&customer("Acme", "a@example.com"))
                .await
                .unwrap();
            let err = client
                .create_idempotent(&customer("ACME", "b@example.com"))
                .await
                .unwrap_err();
            assert!(
                matches!(err, QboError::DuplicateName(_)),
                "lowercase={lowercase}: {err:?}"
            );
            assert_eq!(err.code(), Some("6240"));
        }
    }

    #[tokio::test]
    async fn items_need_an_income_account_have_unique_names_and_deactivate() {
        let (_sandbox, client) = start().await;
        let item = service_item(&client, "Consulting Hour", "150").await;
        assert_eq!(item.unit_price, Some(dec("150")));
        assert_eq!(item.item_type, Some(ItemType::Service));

        let no_account = Item {
            name: Some("Orphan".into()),
            item_type: Some(ItemType::Service),
            ..Item::default()
        };
        let err = client.create_idempotent(&no_account).await.unwrap_err();
        assert!(matches!(err, QboError::Validation(_)), "{err:?}");
        assert_eq!(err.code(), Some("2020"));

        let dup = Item {
            sku: Some("OTHER".into()),
            id: None,
            sync_token: None,
            meta_data: None,
            ..item.clone()
        };
        let err = client.create_idempotent(&dup).await.unwrap_err();
        assert!(matches!(err, QboError::DuplicateName(_)), "{err:?}");

        let priced = client
            .sparse_update(&Item {
                id: item.id.clone(),
                sync_token: item.sync_token.clone(),
                unit_price: Some(dec("162.50")),
                ..Item::default()
            })
            .await
            .unwrap();
        assert_eq!(priced.unit_price, Some(dec("162.50")));
        let inactive: Item = client
            .deactivate(
                priced.id.as_deref().unwrap(),
                priced.sync_token.as_deref().unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(inactive.active, Some(false));
    }

    #[tokio::test]
    async fn invoices_and_payments_link_void_and_delete() {
        let (_sandbox, client) = start().await;
        let cust = client
            .create_idempotent(&customer("Buyer", "buyer@example.com"))
            .await
            .unwrap();
        let item = service_item(&client, "Widget", "150").await;
        let invoice = Invoice {
            customer_ref: cust.id.clone().map(Ref::to),
            txn_date: Some("2026-03-01".parse().unwrap()),
            private_note: Some("hubspot deal 42".into()),
            line: vec![Line {
                detail_type: Some("SalesItemLineDetail".into()),
                amount: Some(dec("300.00")),
                sales_item_line_detail: Some(SalesItemLineDetail {
                    item_ref: item.id.clone().map(Ref::to),
                    qty: Some(dec("2")),
                    unit_price: Some(dec("150.00")),
                    ..SalesItemLineDetail::default()
                }),
                ..Line::default()
            }],
            ..Invoice::default()
        };
        let inv = client.create_idempotent(&invoice).await.unwrap();
        assert_eq!(inv.total_amt, Some(dec("300")));
        assert_eq!(inv.balance, Some(dec("300")));
        assert_eq!(inv.txn_date.unwrap().to_string(), "2026-03-01");
        let inv_id = inv.id.clone().unwrap();

        let payment = Payment {
            customer_ref: cust.id.clone().map(Ref::to),
            total_amt: Some(dec("100.00")),
            line: vec![Line {
                amount: Some(dec("100.00")),
                linked_txn: vec![hqsync::quickbooks::entities::LinkedTxn {
                    txn_id: inv_id.clone(),
                    txn_type: "Invoice".into(),
                    ..Default::default()
                }],
                ..Line::default()
            }],
            ..Payment::default()
        };
        let pay = client.create_idempotent(&payment).await.unwrap();
        assert_eq!(
            pay.applied_invoices().collect::<Vec<_>>(),
            vec![(inv_id.as_str(), Some(dec("100.00")))]
        );
        let inv_after: Invoice = client.read(&inv_id).await.unwrap();
        assert_eq!(inv_after.balance, Some(dec("200")));
        assert_eq!(
            inv_after.payment_ids().collect::<Vec<_>>(),
            vec![pay.id.as_deref().unwrap()]
        );

        let voided_pay = client
            .void_payment(
                pay.id.as_deref().unwrap(),
                pay.sync_token.as_deref().unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(voided_pay.total_amt, Some(Decimal::ZERO));
        let inv_after: Invoice = client.read(&inv_id).await.unwrap();
        assert_eq!(
            inv_after.balance,
            Some(dec("300")),
            "voided payment no longer applied"
        );

        let voided = client
            .void_invoice(&inv_id, inv_after.sync_token.as_deref().unwrap())
            .await
            .unwrap();
        assert_eq!(voided.total_amt, Some(Decimal::ZERO));
        assert!(voided.private_note.unwrap_or_default().contains("Voided"));

        let second = client
            .create_idempotent(&Invoice {
                private_note: Some("to delete".into()),
                ..invoice.clone()
            })
            .await
            .unwrap();
        let deleted = client
            .delete_invoice(
                second.id.as_deref().unwrap(),
                second.sync_token.as_deref().unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(deleted.id, second.id.clone().unwrap());
        let gone = client.read::<Invoice>(&deleted.id).await.unwrap_err();
        assert!(matches!(gone, QboError::NotFound(_)), "{gone:?}");

        let pay_read: Payment = client.read(pay.id.as_deref().unwrap()).await.unwrap();
        let deleted_pay = client
            .delete_payment(
                pay.id.as_deref().unwrap(),
                pay_read.sync_token.as_deref().unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(deleted_pay.entity, "Payment");

        let bad_ref = client
            .create_idempotent(&Invoice {
                customer_ref: Some(Ref::to("987654")),
                ..invoice
            })
            .await
            .unwrap_err();
        assert!(
            matches!(
                bad_ref,
                QboError::InvalidReference(_) | QboError::NotFound(_)
            ),
            "{bad_ref:?}"
        );
    }

    #[tokio::test]
    async fn reference_reads_account_taxcode_preferences_companyinfo() {
        let (_sandbox, client) = start().await;
        let accounts: Vec<Account> = client.query_all(Query::select("Account")).await.unwrap();
        let account: Account = client
            .read(accounts[0].id.as_deref().unwrap())
            .await
            .unwrap();
        assert_eq!(account.id, accounts[0].id);
        let codes: Vec<TaxCode> = client.query_all(Query::select("TaxCode")).await.unwrap();
        assert!(!codes.is_empty());
        let code: TaxCode = client.read(codes[0].id.as_deref().unwrap()).await.unwrap();
        assert_eq!(code.name, codes[0].name);
        let prefs = client.preferences().await.unwrap();
        assert!(prefs.sales_forms_prefs.is_some());
        let info = client.company_info().await.unwrap();
        assert!(info.company_name.is_some());
        let count = client.count(&Query::count("Account")).await.unwrap();
        assert_eq!(count as usize, accounts.len());
    }

    #[tokio::test]
    async fn query_errors_are_validation_faults() {
        let (_sandbox, client) = start().await;
        let err = client
            .query::<Customer>(&Query::select("Customer").eq("NoSuchProperty", "x"))
            .await
            .unwrap_err();
        assert!(matches!(err, QboError::Validation(_)), "{err:?}");
        assert_eq!(err.code(), Some("4001"));
    }

    /// Creates `n` customers with batch requests of 30.
    async fn batch_create_customers(client: &QboClient, n: usize) -> Vec<String> {
        let items: Vec<BatchItem> = (0..n)
            .map(|i| {
                BatchItem::create(&customer(
                    &format!("Bulk {i:05}"),
                    &format!("bulk{i}@example.com"),
                ))
                .unwrap()
            })
            .collect();
        let results = client.batch(&items).await.unwrap();
        results
            .into_iter()
            .map(|r| r.unwrap().entity::<Customer>().unwrap().id.unwrap())
            .collect()
    }

    #[tokio::test]
    async fn batches_paging_count_and_saturated_cdc_read_everything() {
        // Batch limits off on both ends: this test is about paging and CDC, not pacing.
        let (_sandbox, client) = start_with(QuickbooksSandboxConfig {
            limits: hqsync_sandbox::quickbooks::QboLimits {
                batch_per_minute: 0,
                ..Default::default()
            },
            ..QuickbooksSandboxConfig::default()
        })
        .await;
        let client = client.with_budgets(CompanyBudgets::new(CompanyLimits {
            batch_requests_per_minute: 100_000,
            ..CompanyLimits::REAL
        }));
        let since = (Utc::now() - chrono::Duration::minutes(5)).fixed_offset();
        let ids = batch_create_customers(&client, 1050).await;
        assert_eq!(ids.len(), 1050);

        let all: Vec<Customer> = client.query_all(Query::select("Customer")).await.unwrap();
        assert_eq!(all.len(), 1050, "paged past 1000");
        let count = client.count(&Query::count("Customer")).await.unwrap();
        assert_eq!(count, 1050);
        let read: Vec<Customer> = client.read_many(&ids).await.unwrap();
        assert_eq!(read.len(), 1050);

        let changes = client.changes_since(&["Customer"], since).await.unwrap();
        let mut seen: Vec<String> = changes.objects["Customer"]
            .iter()
            .map(|c| c["Id"].as_str().unwrap().to_string())
            .collect();
        seen.sort();
        seen.dedup();
        assert_eq!(
            seen.len(),
            1050,
            "a saturated CDC answer was narrowed, not trusted"
        );
        assert!(changes.cdc_requests >= 2);
    }

    #[tokio::test]
    async fn batch_items_fail_alone_and_carry_options() {
        let (_sandbox, client) = start().await;
        client
            .create_idempotent(&customer("Taken", "t@example.com"))
            .await
            .unwrap();
        let items = vec![
            BatchItem::create(&customer("Fresh", "f@example.com")).unwrap(),
            BatchItem::create(&customer("Taken", "x@example.com")).unwrap(),
            BatchItem::query(&Query::select("Customer").eq("DisplayName", "Taken")),
            BatchItem::create(&customer("Opt", "o@example.com"))
                .unwrap()
                .with_options("allowduplicatedocnum"),
        ];
        let results = client.batch(&items).await.unwrap();
        assert_eq!(results.len(), 4);
        let fresh: Customer = results[0].as_ref().unwrap().entity().unwrap();
        assert_eq!(fresh.display_name.as_deref(), Some("Fresh"));
        assert!(
            matches!(results[1], Err(QboError::DuplicateName(_))),
            "{:?}",
            results[1]
        );
        let page = results[2]
            .as_ref()
            .unwrap()
            .query_page::<Customer>("Customer")
            .unwrap();
        assert_eq!(page.items.len(), 1);
        assert!(results[3].is_ok(), "{:?}", results[3]);
    }

    #[tokio::test]
    async fn per_item_throttle_and_stale_faults_inside_a_batch_are_typed() {
        let (sandbox, client) = start().await;
        reqwest::Client::new()
            .put(format!("{}/_sandbox/quickbooks", sandbox.base_url()))
            .json(&json!({"batchItemFailNext": ["3001", "5010"]}))
            .send()
            .await
            .unwrap()
            .error_for_status()
            .unwrap();
        let items = vec![
            BatchItem::create(&customer("One", "1@example.com")).unwrap(),
            BatchItem::create(&customer("Two", "2@example.com")).unwrap(),
            BatchItem::create(&customer("Three", "3@example.com")).unwrap(),
        ];
        let results = client.batch(&items).await.unwrap();
        let throttled = results
            .iter()
            .filter(|r| matches!(r, Err(QboError::Throttled { .. })))
            .count();
        let stale = results
            .iter()
            .filter(|r| matches!(r, Err(QboError::StaleObject(_))))
            .count();
        let ok = results.iter().filter(|r| r.is_ok()).count();
        assert_eq!((throttled, stale, ok), (1, 1, 1), "{results:?}");
        assert!(
            results
                .iter()
                .filter_map(|r| r.as_ref().err())
                .all(|e| e.intuit_tid().is_some()),
            "item faults carry the batch answer's intuit_tid"
        );
    }

    #[tokio::test]
    async fn cdc_reports_changes_and_deletions() {
        let (_sandbox, client) = start().await;
        let since = (Utc::now() - chrono::Duration::minutes(5)).fixed_offset();
        let cust = client
            .create_idempotent(&customer("Cdc", "cdc@example.com"))
            .await
            .unwrap();
        let item = service_item(&client, "CdcItem", "10").await;
        let inv = client
            .create_idempotent(&Invoice {
                customer_ref: cust.id.clone().map(Ref::to),
                line: vec![Line {
                    detail_type: Some("SalesItemLineDetail".into()),
                    amount: Some(dec("10")),
                    sales_item_line_detail: Some(SalesItemLineDetail {
                        item_ref: item.id.clone().map(Ref::to),
                        qty: Some(dec("1")),
                        unit_price: Some(dec("10")),
                        ..Default::default()
                    }),
                    ..Line::default()
                }],
                ..Invoice::default()
            })
            .await
            .unwrap();
        client
            .delete_invoice(
                inv.id.as_deref().unwrap(),
                inv.sync_token.as_deref().unwrap(),
            )
            .await
            .unwrap();
        let changes = client
            .changes_since(&["Customer", "Item", "Invoice"], since)
            .await
            .unwrap();
        assert_eq!(changes.changed::<Customer>().unwrap()[0].id, cust.id);
        assert_eq!(changes.changed::<Item>().unwrap()[0].id, item.id);
        assert!(
            changes
                .deleted
                .iter()
                .any(|d| d.entity == "Invoice" && Some(&d.id) == inv.id.as_ref()),
            "{:?}",
            changes.deleted
        );
        assert_eq!(changes.cdc_requests, 1);
        assert!(changes.server_time.is_some());
    }

    #[tokio::test]
    async fn throttling_is_a_typed_error_with_the_documented_wait() {
        let (_sandbox, client) = start_with(QuickbooksSandboxConfig {
            limits: hqsync_sandbox::quickbooks::QboLimits {
                per_second: 2,
                ..Default::default()
            },
            ..QuickbooksSandboxConfig::default()
        })
        .await;
        let client = client.with_budgets(CompanyBudgets::unlimited());
        let mut throttled = None;
        for _ in 0..10 {
            if let Err(e) = client.preferences().await {
                throttled = Some(e);
                break;
            }
        }
        let err = throttled.expect("the sandbox throttles the third request in a second");
        let QboError::Throttled { retry_after, .. } = &err else {
            panic!("{err:?}")
        };
        assert_eq!(
            *retry_after,
            Duration::from_secs(60),
            "no Retry-After: wait 60 s (§9)"
        );
        assert_eq!(err.code(), Some("3001"));
    }

    #[tokio::test]
    async fn refresh_rotates_tokens_and_the_old_refresh_token_dies() {
        let (sandbox, _) = start().await;
        let http = reqwest::Client::new();
        let base = sandbox.base_url();
        let connected: Value = http
            .post(format!("{base}/_sandbox/oauth/connect"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let access = connected["access_token"].as_str().unwrap();
        let refresh1 = SecretString::from(connected["refresh_token"].as_str().unwrap().to_string());
        let client = client_for(&sandbox, access);
        client.preferences().await.unwrap();

        let oauth = OAuthClient::with_token_url(
            reqwest::Url::parse(&format!("{base}/oauth2/v1/tokens/bearer")).unwrap(),
            sandbox.config().client_id.clone(),
            SecretString::from(sandbox.config().client_secret.clone()),
        );
        http.post(format!("{base}/_sandbox/oauth/expire"))
            .send()
            .await
            .unwrap();
        let expired = client.preferences().await.unwrap_err();
        assert!(
            matches!(expired, QboError::Authentication(_)),
            "{expired:?}"
        );

        let tokens = oauth.refresh(&refresh1).await.unwrap();
        assert_ne!(
            tokens.refresh_token.expose_secret(),
            refresh1.expose_secret(),
            "rotated"
        );
        assert_eq!(tokens.access_token_expires_in, Duration::from_secs(3600));
        client.set_access_token(tokens.access_token.clone());
        client.preferences().await.unwrap();

        let old = oauth.refresh(&refresh1).await.unwrap_err();
        assert!(matches!(old, OAuthError::InvalidGrant { .. }), "{old:?}");
        let next = oauth.refresh(&tokens.refresh_token).await.unwrap();
        assert!(next.refresh_token_expires_in.is_some());

        let wrong_secret = OAuthClient::with_token_url(
            reqwest::Url::parse(&format!("{base}/oauth2/v1/tokens/bearer")).unwrap(),
            sandbox.config().client_id.clone(),
            SecretString::from("wrong".to_string()),
        );
        let err = wrong_secret.refresh(&next.refresh_token).await.unwrap_err();
        assert!(matches!(err, OAuthError::InvalidClient { .. }), "{err:?}");
    }

    /// Webhook deliveries received: `(intuit-signature, raw body)`.
    type Deliveries = Arc<Mutex<Vec<(Option<String>, Vec<u8>)>>>;

    /// Collects webhook deliveries.
    async fn webhook_receiver() -> (String, Deliveries) {
        let got: Deliveries = Arc::default();
        let store = got.clone();
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(
                move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
                    let store = store.clone();
                    async move {
                        let signature = headers
                            .get("intuit-signature")
                            .and_then(|v| v.to_str().ok())
                            .map(str::to_string);
                        store.lock().unwrap().push((signature, body.to_vec()));
                        "ok"
                    }
                },
            ),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (url, got)
    }

    #[tokio::test]
    async fn signed_webhooks_verify_and_parse_in_both_formats() {
        for format in [
            WebhookPayloadFormat::CloudEvents,
            WebhookPayloadFormat::Legacy,
        ] {
            let (url, got) = webhook_receiver().await;
            let (sandbox, client) = start_with(QuickbooksSandboxConfig {
                webhook_url: Some(url),
                webhook_format: format,
                ..QuickbooksSandboxConfig::default()
            })
            .await;
            let created = client
                .create_idempotent(&customer("Hooked", "h@example.com"))
                .await
                .unwrap();
            assert!(sandbox.wait_webhooks_idle(Duration::from_secs(10)).await);
            let deliveries = got.lock().unwrap().clone();
            assert!(!deliveries.is_empty(), "{format:?}: no delivery");
            let verifier = SecretString::from(sandbox.config().verifier_token.clone());
            let mut changes = Vec::new();
            for (signature, body) in &deliveries {
                verify_signature(&verifier, body, signature.as_deref()).unwrap();
                let parsed = parse_delivery(body).unwrap();
                assert_eq!(
                    parsed.format,
                    match format {
                        WebhookPayloadFormat::CloudEvents => PayloadFormat::CloudEvents,
                        WebhookPayloadFormat::Legacy => PayloadFormat::Legacy,
                    }
                );
                assert!(parsed.skipped.is_empty(), "{:?}", parsed.skipped);
                changes.extend(parsed.changes);
            }
            let change = changes
                .iter()
                .find(|c| c.entity == "Customer")
                .unwrap_or_else(|| panic!("{format:?}: {changes:?}"));
            assert_eq!(Some(&change.entity_id), created.id.as_ref());
            assert_eq!(change.operation, Operation::Created);
            assert_eq!(change.realm_id, sandbox.config().realm_id);
            assert!(change.occurred_at.is_some());
            let wrong = SecretString::from("not-the-verifier".to_string());
            let (signature, body) = &deliveries[0];
            assert!(verify_signature(&wrong, body, signature.as_deref()).is_err());
        }
    }

    #[tokio::test]
    async fn explicit_request_ids_replay_across_clients() {
        let (sandbox, client) = start().await;
        let key = RequestId::from_key(&["contact", "hs-1", "rev-3"]);
        let first = client
            .create(&customer("Replay", "r@example.com"), &key)
            .await
            .unwrap();
        let other_client = client_for(&sandbox, &sandbox.config().dev_token.clone());
        let again = other_client
            .create(&customer("Replay", "r@example.com"), &key)
            .await
            .unwrap();
        assert_eq!(first.id, again.id);
        let _ = json!({});
    }
}

mod gateway_against_sandbox {
    //! `QuickbooksGateway` (the engine's `RecordGateway` port) on QBO customers and items,
    //! against the sandbox: idempotent creates, matching, versioned updates, typed 6240s,
    //! deactivation, enumeration and changes.

    use std::sync::Arc;

    use chrono::Utc;
    use hqsync::adapters::quickbooks_gateway::QuickbooksGateway;
    use hqsync::model::{NativeValues, ObjectKind, Side};
    use hqsync::ports::{
        CreateRequest, DeactivateRequest, RecordErrorKind, RecordGateway, SystemClock,
        UpdateRequest,
    };
    use hqsync::quickbooks::{CompanyBudgets, QboClient, QboEnvironment, RealmId, RequestId};
    use hqsync_tests::quickbooks::{QuickbooksSandbox, start_default_quickbooks_sandbox};
    use secrecy::SecretString;
    use serde_json::{Value, json};

    fn gateway(sandbox: &QuickbooksSandbox) -> QuickbooksGateway {
        let client = QboClient::new(
            &QboEnvironment::Custom(reqwest::Url::parse(&sandbox.base_url()).unwrap()),
            RealmId::new(sandbox.config().realm_id.clone()).unwrap(),
            SecretString::from(sandbox.config().dev_token.clone()),
        )
        .unwrap()
        .with_budgets(CompanyBudgets::real());
        QuickbooksGateway::new(client, Arc::new(SystemClock))
    }

    fn values(pairs: &[(&str, Value)]) -> NativeValues {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    fn key(parts: &[&str]) -> String {
        RequestId::from_key(parts).to_string()
    }

    #[tokio::test]
    async fn customers_create_once_match_update_and_deactivate() {
        let sandbox = start_default_quickbooks_sandbox().await;
        let gw = gateway(&sandbox);
        assert_eq!(gw.side(), Side::Quickbooks);
        gw.ensure_schema(&[ObjectKind::Contact]).await.unwrap();
        let ada = values(&[
            ("DisplayName", json!("Mary Somerville")),
            ("GivenName", json!("Ada")),
            ("PrimaryEmailAddr.Address", json!("ada@example.com")),
            ("BillAddr.City", json!("London")),
        ]);
        let request = CreateRequest {
            idempotency_key: key(&["c1", "contact", "hs-1", "v1"]),
            values: ada.clone(),
        };
        let first = gw
            .create(ObjectKind::Contact, vec![request.clone()])
            .await
            .unwrap();
        let created = first[0].as_ref().unwrap().clone();
        assert_eq!(created.version, "0");
        assert!(created.active);
        assert_eq!(created.value("BillAddr.City"), Some(&json!("London")));
        let again = gw.create(ObjectKind::Contact, vec![request]).await.unwrap();
        assert_eq!(
            again[0].as_ref().unwrap().id,
            created.id,
            "replayed, not duplicated"
        );

        let found = gw
            .find_by_field(
                ObjectKind::Contact,
                "PrimaryEmailAddr.Address",
                &["ADA@example.com".into(), "nobody@example.com".into()],
            )
            .await
            .unwrap();
        assert_eq!(found.len(), 1, "email match is case-insensitive");
        assert_eq!(found[0].id, created.id);

        let updated = gw
            .update(
                ObjectKind::Contact,
                vec![UpdateRequest {
                    id: created.id.clone(),
                    expected_version: created.version.clone(),
                    values: values(&[
                        ("BillAddr.City", json!("Paris")),
                        ("GivenName", Value::Null),
                    ]),
                }],
            )
            .await
            .unwrap();
        let updated = updated[0].as_ref().unwrap();
        assert_eq!(updated.version, "1");
        assert_eq!(updated.value("BillAddr.City"), Some(&json!("Paris")));
        assert_eq!(
            updated.value("PrimaryEmailAddr.Address"),
            Some(&json!("ada@example.com")),
            "sparse: other fields kept"
        );

        let stale = gw
            .update(
                ObjectKind::Contact,
                vec![UpdateRequest {
                    id: created.id.clone(),
                    expected_version: "0".into(),
                    values: values(&[("CompanyName", json!("Late Ltd"))]),
                }],
            )
            .await
            .unwrap();
        assert_eq!(stale[0].as_ref().unwrap_err().kind, RecordErrorKind::Stale);

        let dup = gw
            .create(
                ObjectKind::Contact,
                vec![CreateRequest {
                    idempotency_key: key(&["c1", "contact", "hs-2", "v1"]),
                    values: values(&[("DisplayName", json!("mary somerville"))]),
                }],
            )
            .await
            .unwrap();
        let err = dup[0].as_ref().unwrap_err();
        assert_eq!(err.kind, RecordErrorKind::DuplicateName);
        assert_eq!(err.code.as_deref(), Some("6240"));

        let vendor = hqsync_sandbox::demo_data::QBO_VENDOR_NAMES[0];
        let vendor_clash = gw
            .create(
                ObjectKind::Contact,
                vec![CreateRequest {
                    idempotency_key: key(&["c1", "contact", "hs-3", "v1"]),
                    values: values(&[("DisplayName", json!(vendor))]),
                }],
            )
            .await
            .unwrap();
        assert_eq!(
            vendor_clash[0].as_ref().unwrap_err().kind,
            RecordErrorKind::DuplicateName,
            "DisplayName is unique across customers and vendors too"
        );

        let deactivated = gw
            .deactivate(
                ObjectKind::Contact,
                vec![DeactivateRequest {
                    id: created.id.clone(),
                    expected_version: "1".into(),
                }],
            )
            .await
            .unwrap();
        assert!(deactivated[0].is_ok(), "{deactivated:?}");
        let read = gw
            .read(ObjectKind::Contact, &[created.id.clone(), "424242".into()])
            .await
            .unwrap();
        assert_eq!(read.len(), 1);
        assert!(
            !read[0].active,
            "inactive records are read, with active == false"
        );
        let page = gw.list_page(ObjectKind::Contact, None).await.unwrap();
        assert_eq!(
            page.records.len(),
            1,
            "enumeration includes inactive records"
        );
        assert_eq!(page.next, None);
    }

    #[tokio::test]
    async fn items_get_the_default_income_account_and_changes_come_from_cdc() {
        let sandbox = start_default_quickbooks_sandbox().await;
        let gw = gateway(&sandbox);
        let since = Utc::now() - chrono::Duration::minutes(5);
        gw.ensure_schema(&[ObjectKind::Product]).await.unwrap();
        let results = gw
            .create(
                ObjectKind::Product,
                vec![
                    CreateRequest {
                        idempotency_key: key(&["c1", "product", "p-1"]),
                        values: values(&[
                            ("Name", json!("Consulting Hour")),
                            ("Sku", json!("CONS-1")),
                            ("UnitPrice", serde_json::from_str("150.00").unwrap()),
                        ]),
                    },
                    CreateRequest {
                        idempotency_key: key(&["c1", "product", "p-2"]),
                        values: values(&[("Name", json!("consulting hour"))]),
                    },
                ],
            )
            .await
            .unwrap();
        let item = results[0].as_ref().unwrap();
        assert!(item.value("IncomeAccountRef.value").is_some());
        assert_eq!(item.value("Type"), Some(&json!("Service")));
        assert_eq!(item.value("UnitPrice").unwrap().to_string(), "150.00");
        assert_eq!(
            results[1].as_ref().unwrap_err().kind,
            RecordErrorKind::DuplicateName
        );
        let by_sku = gw
            .find_by_field(ObjectKind::Product, "Sku", &["cons-1".into()])
            .await
            .unwrap();
        assert_eq!(by_sku.len(), 1);

        let changes = gw.changed_since(ObjectKind::Product, since).await.unwrap();
        assert_eq!(changes.records.len(), 1);
        assert_eq!(changes.records[0].id, item.id);
        assert!(changes.deleted_ids.is_empty());
        assert!(changes.watermark > since);
        let customers = gw.changed_since(ObjectKind::Contact, since).await.unwrap();
        assert!(customers.records.is_empty());
    }
}
