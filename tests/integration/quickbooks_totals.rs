//! Contract suite for the QuickBooks sandbox's totals (docs/quickbooks.md §17) over real HTTP:
//! the docs samples' amounts, tax entities, the non-US refusal, multicurrency, the new entities.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use hqsync_sandbox::quickbooks::{
    DEFAULT_DEV_TOKEN, QboLimits, QuickbooksSandbox, QuickbooksSandboxConfig,
};
use hqsync_tests::fixtures;
use hqsync_tests::quickbooks::{company_url, start_quickbooks_sandbox};
use reqwest::StatusCode;
use serde_json::{Value, json};

struct Qbo {
    sandbox: QuickbooksSandbox,
    client: reqwest::Client,
    base: String,
}

impl Qbo {
    async fn start() -> Self {
        Self::with(QuickbooksSandboxConfig::default()).await
    }

    /// `config` without rate limits (these tests make many requests a second).
    async fn with(config: QuickbooksSandboxConfig) -> Self {
        let sandbox = start_quickbooks_sandbox(QuickbooksSandboxConfig {
            limits: QboLimits {
                per_minute: 0,
                per_second: 0,
                batch_per_minute: 0,
                core_plus_reads: 0,
            },
            ..config
        })
        .await;
        let base = company_url(&sandbox);
        Self {
            sandbox,
            client: reqwest::Client::builder().no_proxy().build().unwrap(),
            base,
        }
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> (StatusCode, Value) {
        let r = req.send().await.expect("request");
        let status = r.status();
        let text = r.text().await.expect("body");
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        let url = format!("{}{path}", self.base);
        self.send(
            self.client
                .post(url)
                .bearer_auth(DEFAULT_DEV_TOKEN)
                .json(&body),
        )
        .await
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        let url = format!("{}{path}", self.base);
        self.send(self.client.get(url).bearer_auth(DEFAULT_DEV_TOKEN))
            .await
    }

    /// Creates `entity` and returns the object; panics on a fault.
    async fn create(&self, entity: &str, body: Value) -> Value {
        let (status, v) = self
            .post(&format!("/{}", entity.to_lowercase()), body)
            .await;
        assert_eq!(status, StatusCode::OK, "{entity}: {v}");
        v[entity].clone()
    }

    async fn query(&self, statement: &str) -> Value {
        let url = format!("{}/query", self.base);
        let (status, v) = self
            .send(
                self.client
                    .get(url)
                    .query(&[("query", statement)])
                    .bearer_auth(DEFAULT_DEV_TOKEN),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{statement}: {v}");
        v["QueryResponse"].clone()
    }

    async fn preferences(&self, body: Value) -> (StatusCode, Value) {
        let url = format!("{}/_sandbox/preferences", self.sandbox.base_url());
        self.send(self.client.post(url).json(&body)).await
    }

    async fn customer(&self, name: &str) -> Value {
        self.create("Customer", json!({"DisplayName": name})).await
    }

    async fn item(&self, name: &str) -> Value {
        self.create(
            "Item",
            json!({"Name": name, "Type": "Service", "IncomeAccountRef": {"value": "1"}}),
        )
        .await
    }
}

fn sale(item: &Value, qty: u32, price: f64, tax: &str) -> Value {
    json!({"DetailType": "SalesItemLineDetail", "Amount": f64::from(qty) * price,
           "SalesItemLineDetail": {"ItemRef": {"value": item["Id"]}, "Qty": qty,
                                   "UnitPrice": price, "TaxCodeRef": {"value": tax}}})
}

#[tokio::test]
async fn the_docs_invoice_totals_and_tax_detail_come_back_as_captured() {
    let qbo = Qbo::start().await;
    let fixture = fixtures::json("quickbooks", "invoice-read-response.json")["Invoice"].clone();
    let c = qbo.customer("Sonnenschein Family Store").await;
    let (fountain, pump, concrete) = (
        qbo.item("Rock Fountain").await,
        qbo.item("Pump").await,
        qbo.item("Concrete").await,
    );
    let inv = qbo
        .create(
            "Invoice",
            json!({"CustomerRef": {"value": c["Id"]},
                   "TxnTaxDetail": {"TxnTaxCodeRef": {"value": "2"}},
                   "Line": [sale(&fountain, 1, 275.0, "TAX"), sale(&pump, 1, 12.75, "TAX"),
                            sale(&concrete, 5, 9.5, "TAX")]}),
        )
        .await;
    assert_eq!(inv["TxnTaxDetail"], fixture["TxnTaxDetail"]);
    assert_eq!(inv["TotalAmt"], fixture["TotalAmt"]);
    assert_eq!(inv["Balance"], fixture["Balance"]);
    assert_eq!(inv["Line"][3], fixture["Line"][3], "the subtotal line");
    assert_eq!(
        inv["ApplyTaxAfterDiscount"],
        fixture["ApplyTaxAfterDiscount"]
    );
    // 10 % off the same invoice, taxed after the discount, to the cent.
    let mut lines = inv["Line"].as_array().unwrap()[..3].to_vec();
    lines.push(json!({"DetailType": "DiscountLineDetail",
                      "DiscountLineDetail": {"PercentBased": true, "DiscountPercent": 10}}));
    let (status, updated) = qbo
        .post(
            "/invoice",
            json!({"Id": inv["Id"], "SyncToken": "0", "sparse": true,
                   "ApplyTaxAfterDiscount": true, "Line": lines}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    let updated = &updated["Invoice"];
    assert_eq!(updated["Line"][4]["Amount"], json!(33.53));
    assert_eq!(updated["TxnTaxDetail"]["TotalTax"], json!(24.14));
    assert_eq!(
        updated["TxnTaxDetail"]["TaxLine"][0]["TaxLineDetail"]["NetAmountTaxable"],
        json!(301.72)
    );
    assert_eq!(updated["TotalAmt"], json!(325.86));
    assert_eq!(updated["Balance"], json!(325.86));
    qbo.sandbox.shutdown().await;
}

#[tokio::test]
async fn the_docs_estimate_discount_comes_back_as_captured() {
    let qbo = Qbo::start().await;
    let fixture =
        fixtures::json("quickbooks", "estimate-read-response-discount.json")["Estimate"].clone();
    let c = qbo.customer("Cool Cars").await;
    let pest = qbo.item("Pest Control").await;
    let est = qbo
        .create(
            "Estimate",
            json!({"CustomerRef": {"value": c["Id"]}, "Line": [
                sale(&pest, 1, 35.0, "NON"),
                {"DetailType": "DiscountLineDetail",
                 "DiscountLineDetail": {"PercentBased": true, "DiscountPercent": 10}}]}),
        )
        .await;
    for key in [
        "TotalAmt",
        "TxnTaxDetail",
        "ApplyTaxAfterDiscount",
        "TxnStatus",
    ] {
        assert_eq!(est[key], fixture[key], "{key}");
    }
    assert_eq!(est["Line"][1]["DetailType"], "SubTotalLineDetail");
    assert_eq!(
        est["Line"][1]["Amount"].as_f64(),
        fixture["Line"][1]["Amount"].as_f64(),
        "the subtotal line"
    );
    assert_eq!(est["Line"][2]["Amount"], fixture["Line"][2]["Amount"]);
    assert_eq!(
        est["Line"][2]["DiscountLineDetail"],
        fixture["Line"][2]["DiscountLineDetail"]
    );
    let found = qbo
        .query(&format!(
            "select * from Estimate where CustomerRef = '{}'",
            c["Id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(found["Estimate"][0]["Id"], est["Id"]);
    qbo.sandbox.shutdown().await;
}

#[tokio::test]
async fn tax_entities_are_queryable_and_follow_the_country() {
    let qbo = Qbo::start().await;
    let codes = qbo.query("select * from TaxCode").await;
    let ids: Vec<&str> = codes["TaxCode"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["Id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["2", "NON", "TAX"]);
    let rates = qbo.query("select * from TaxRate").await;
    assert_eq!(rates["TaxRate"][0]["RateValue"], json!(8));
    assert_eq!(rates["TaxRate"][0]["AgencyRef"]["value"], "1");
    let agencies = qbo.query("select count(*) from TaxAgency").await;
    assert_eq!(agencies["totalCount"], 3);
    let (status, _) = qbo.preferences(json!({"country": "CA"})).await;
    assert_eq!(status, StatusCode::OK);
    let codes = qbo.query("select * from TaxCode").await;
    assert_eq!(codes["TaxCode"].as_array().unwrap().len(), 4);
    let (_, info) = qbo.get("/companyinfo/9341455649204247").await;
    assert_eq!(info["CompanyInfo"]["Country"], "CA");
    let (status, bad) = qbo.preferences(json!({"country": 7})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
    qbo.sandbox.shutdown().await;
}

#[tokio::test]
async fn a_non_us_company_refuses_a_line_without_a_tax_code_as_qbo_does() {
    let qbo = Qbo::start().await;
    qbo.preferences(json!({"country": "CA"})).await;
    let c = qbo.customer("Maple Leaf").await;
    let item = qbo.item("Snow Removal").await;
    let (status, fault) = qbo
        .post(
            "/invoice",
            json!({"CustomerRef": {"value": c["Id"]}, "Line": [
                {"DetailType": "SalesItemLineDetail", "Amount": 100,
                 "SalesItemLineDetail": {"ItemRef": {"value": item["Id"]}}}]}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let captured = fixtures::json("quickbooks", "error-6000-business-validation.json");
    assert_eq!(fault["Fault"], captured["Fault"]);
    let receipt = qbo
        .create(
            "SalesReceipt",
            json!({"CustomerRef": {"value": c["Id"]}, "Line": [sale(&item, 2, 50.0, "5")]}),
        )
        .await;
    assert_eq!(receipt["GlobalTaxCalculation"], "TaxExcluded");
    assert_eq!(receipt["TxnTaxDetail"]["TotalTax"], json!(13));
    assert_eq!(receipt["TotalAmt"], json!(113));
    assert_eq!(receipt["Balance"], json!(0));
    qbo.sandbox.shutdown().await;
}

#[tokio::test]
async fn multicurrency_gives_home_totals_and_cannot_be_turned_off() {
    let qbo = Qbo::start().await;
    let euro = qbo
        .create(
            "Customer",
            json!({"DisplayName": "Euro GmbH", "CurrencyRef": {"value": "EUR"}}),
        )
        .await;
    let item = qbo.item("Beratung").await;
    let body = json!({"CustomerRef": {"value": euro["Id"]}, "ExchangeRate": 1.08,
                      "Line": [sale(&item, 1, 99.99, "NON")]});
    let (status, refused) = qbo.post("/creditmemo", body.clone()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(refused["Fault"]["Error"][0]["code"], "6000");
    let (status, prefs) = qbo.preferences(json!({"multiCurrency": true})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        prefs["Preferences"]["CurrencyPrefs"]["MultiCurrencyEnabled"],
        true
    );
    let memo = qbo.create("CreditMemo", body).await;
    assert_eq!(memo["CurrencyRef"]["value"], "EUR");
    assert_eq!(memo["TotalAmt"], json!(99.99));
    assert_eq!(
        memo["HomeTotalAmt"],
        json!(107.99),
        "99.99 x 1.08 = 107.9892"
    );
    assert_eq!(memo["RemainingCredit"], json!(99.99));
    let (status, _) = qbo.preferences(json!({"multiCurrency": false})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    qbo.sandbox.shutdown().await;
}

#[tokio::test]
async fn new_sales_forms_are_in_cdc_and_deletions_leave_tombstones() {
    let qbo = Qbo::start().await;
    let since = (chrono::Utc::now() - chrono::Duration::minutes(5))
        .to_rfc3339()
        .replace('+', "%2B")
        .replace(':', "%3A");
    let c = qbo.customer("Forms").await;
    let item = qbo.item("Widget Service").await;
    let line = || json!([sale(&item, 1, 10.0, "NON")]);
    let est = qbo
        .create(
            "Estimate",
            json!({"CustomerRef": {"value": c["Id"]}, "Line": line()}),
        )
        .await;
    let receipt = qbo
        .create(
            "SalesReceipt",
            json!({"CustomerRef": {"value": c["Id"]}, "Line": line()}),
        )
        .await;
    let refund = qbo
        .create(
            "RefundReceipt",
            json!({"CustomerRef": {"value": c["Id"]}, "Line": line()}),
        )
        .await;
    assert_eq!(refund["DepositToAccountRef"]["value"], "35");
    let (status, _) = qbo
        .post(
            "/salesreceipt?operation=delete",
            json!({"Id": receipt["Id"], "SyncToken": "0"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, cdc) = qbo
        .get(&format!(
            "/cdc?entities=Estimate,SalesReceipt,RefundReceipt&changedSince={since}"
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{cdc}");
    let groups = cdc["CDCResponse"][0]["QueryResponse"].as_array().unwrap();
    assert_eq!(groups[0]["Estimate"][0]["Id"], est["Id"]);
    assert_eq!(groups[1]["SalesReceipt"][0]["status"], "Deleted");
    assert_eq!(groups[2]["RefundReceipt"][0]["Id"], refund["Id"]);
    let (_, taxrate) = qbo
        .get(&format!("/cdc?entities=TaxRate&changedSince={since}"))
        .await;
    assert!(taxrate["Fault"].is_object(), "§7: TaxRate is not in CDC");
    qbo.sandbox.shutdown().await;
}

/// A webhook endpoint that keeps every posted body.
async fn webhook_receiver() -> (String, Arc<Mutex<Vec<Value>>>) {
    let bodies: Arc<Mutex<Vec<Value>>> = Arc::default();
    let kept = bodies.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |body: axum::body::Bytes| {
            let kept = kept.clone();
            async move {
                if let Ok(v) = serde_json::from_slice::<Value>(&body) {
                    kept.lock().unwrap().push(v);
                }
                axum::http::StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}/hook"), bodies)
}

#[tokio::test]
async fn new_sales_forms_made_in_a_batch_fire_cloudevents() {
    let (url, bodies) = webhook_receiver().await;
    let qbo = Qbo::with(QuickbooksSandboxConfig {
        webhook_url: Some(url),
        webhook_delay_ms: 100,
        ..QuickbooksSandboxConfig::default()
    })
    .await;
    let c = qbo.customer("Hooked Forms").await;
    let item = qbo.item("Hook Service").await;
    let line = json!([sale(&item, 2, 7.5, "TAX")]);
    let (status, batch) = qbo
        .post(
            "/batch",
            json!({"BatchItemRequest": [
                {"bId": "1", "operation": "create",
                 "Estimate": {"CustomerRef": {"value": c["Id"]}, "Line": line}},
                {"bId": "2", "operation": "create",
                 "CreditMemo": {"CustomerRef": {"value": c["Id"]}, "Line": line}}]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{batch}");
    let items = &batch["BatchItemResponse"];
    assert_eq!(
        items[0]["Estimate"]["TotalAmt"],
        json!(16.2),
        "15 + 8 % tax"
    );
    assert_eq!(items[1]["CreditMemo"]["Balance"], json!(16.2));
    let wanted = [
        (
            "qbo.estimate.created.v1",
            items[0]["Estimate"]["Id"].clone(),
        ),
        (
            "qbo.creditmemo.created.v1",
            items[1]["CreditMemo"]["Id"].clone(),
        ),
    ];
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let events: Vec<Value> = bodies
            .lock()
            .unwrap()
            .iter()
            .filter_map(Value::as_array)
            .flatten()
            .cloned()
            .collect();
        let seen = wanted.iter().all(|(kind, id)| {
            events
                .iter()
                .any(|e| e["type"] == *kind && e["intuitentityid"] == *id)
        });
        if seen {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no {wanted:?} among {events:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    qbo.sandbox.shutdown().await;
}
