//! `QboClient` over real HTTP: a scripted stand-in server pins down URL forms, parameters,
//! retries and error context; the QBO sandbox exercises every operation (quickbooks-api.md).

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
        QboError, Query, RealmId, RequestId,
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
