//! The connect flow's vendor half through both sandboxes with the real clients: authorize ->
//! code -> one exchange; reused and unknown codes, denied consent, the token-endpoint error
//! switch and revoke (docs/hubspot.md §1.6, docs/quickbooks.md §2.7).

use hqsync::hubspot::{HubspotError, OAuthApp, app_scopes};
use hqsync::quickbooks::environment::ACCOUNTING_SCOPE;
use hqsync::quickbooks::{OAuthClient, OAuthError};
use hqsync::tokens::vendor_urls::quickbooks_token_url_at;
use hqsync_sandbox::quickbooks::QuickbooksSandbox;
use hqsync_tests::hubspot::start_default_hubspot_sandbox;
use hqsync_tests::oauth::{
    QBO_REDIRECT, REDIRECT, consent, hubspot_app, hubspot_oauth_client,
    hubspot_tokens_through_consent, param,
};
use hqsync_tests::quickbooks::start_default_quickbooks_sandbox;
use reqwest::StatusCode;
use reqwest::Url;
use secrecy::{ExposeSecret, SecretString};

#[tokio::test]
async fn hubspot_code_exchanges_once_and_carries_the_granted_scopes() {
    let hs = start_default_hubspot_sandbox().await;
    let client = hubspot_oauth_client(&hs);
    let app = hubspot_app(&hs);
    let scopes = app_scopes();
    let url = client.authorize_url(&app, REDIRECT, &scopes.required, &scopes.optional, "s-42");
    assert!(
        url.as_str()
            .starts_with(&format!("{}/oauth/authorize?", hs.base_url()))
    );
    let query = consent(url).await;
    assert_eq!(param(&query, "state"), Some("s-42"));
    let code = SecretString::from(param(&query, "code").unwrap().to_owned());

    // Bound to the redirect URI: a different one is refused (and uses the code up).
    let other = client
        .exchange_code(&app, &code, "http://127.0.0.1:9/elsewhere")
        .await
        .unwrap_err();
    assert!(
        matches!(&other, HubspotError::OAuth { error, .. } if error == "invalid_grant"),
        "{other:?}"
    );

    let url = client.authorize_url(&app, REDIRECT, &scopes.required, &scopes.optional, "s-43");
    let code = SecretString::from(param(&consent(url).await, "code").unwrap().to_owned());
    let set = client.exchange_code(&app, &code, REDIRECT).await.unwrap();
    assert_eq!(set.hub_id, Some(hs.config().portal_id));
    let mut granted = set.scopes.clone();
    granted.sort();
    let mut wanted: Vec<String> = scopes.all().map(str::to_owned).collect();
    wanted.sort();
    assert_eq!(granted, wanted, "required + optional scopes asked for");

    let reused = client
        .exchange_code(&app, &code, REDIRECT)
        .await
        .unwrap_err();
    match &reused {
        HubspotError::OAuth { error, description } => {
            assert_eq!(error, "invalid_grant");
            assert!(!description.contains(code.expose_secret()));
        }
        other => panic!("{other:?}"),
    }
    let unknown = client
        .exchange_code(
            &app,
            &SecretString::from("no-such-code".to_owned()),
            REDIRECT,
        )
        .await
        .unwrap_err();
    assert!(matches!(&unknown, HubspotError::OAuth { error, .. } if error == "invalid_grant"));
    assert!(!format!("{reused} {unknown:?}").contains(set.access_token.expose_secret()));

    // Introspection tells the portal and scopes; the refresh token mints tokens with the same scopes.
    let info = client
        .access_token_info(&app, &set.access_token)
        .await
        .unwrap();
    assert!(info.active);
    assert_eq!(info.hub_id, Some(hs.config().portal_id));
    assert_eq!(info.app_id, Some(hs.config().app_id));
    assert!(info.user.is_some());
    assert!(info.expires_in.is_some_and(|s| s > 0 && s <= 1800));
    let mut introspected = info.scopes.clone();
    introspected.sort();
    assert_eq!(introspected, wanted);
    let refreshed = client
        .refresh_tokens(&app, &set.refresh_token)
        .await
        .unwrap();
    let mut again = refreshed.scopes.clone();
    again.sort();
    assert_eq!(again, wanted);
    let dead = client
        .access_token_info(&app, &SecretString::from("sandbox-at-nope".to_owned()))
        .await
        .unwrap();
    assert!(!dead.active);
    hs.shutdown().await;
}

#[tokio::test]
async fn hubspot_refuses_unknown_clients_and_scopes_on_the_install_page() {
    let hs = start_default_hubspot_sandbox().await;
    let client = hubspot_oauth_client(&hs);
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let wrong_client = OAuthApp {
        client_id: "someone-else".into(),
        client_secret: SecretString::from("x".to_owned()),
    };
    let url = client.authorize_url(&wrong_client, REDIRECT, &["oauth"], &[], "s");
    let page = browser.get(url).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::BAD_REQUEST);
    assert!(page.text().await.unwrap().contains("client_id"));
    let url = client.authorize_url(
        &hubspot_app(&hs),
        REDIRECT,
        &["oauth", "crm.objects.unicorns.read"],
        &[],
        "s",
    );
    let page = browser.get(url).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::BAD_REQUEST);
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("crm.objects.unicorns.read")
    );
    hs.shutdown().await;
}

#[tokio::test]
async fn hubspot_denied_consent_token_endpoint_error_and_revoke() {
    let hs = start_default_hubspot_sandbox().await;
    let client = hubspot_oauth_client(&hs);
    let app = hubspot_app(&hs);
    hs.deny_next_consent();
    let query = consent(client.authorize_url(&app, REDIRECT, &["oauth"], &[], "s-d")).await;
    assert_eq!(param(&query, "error"), Some("access_denied"));
    assert!(param(&query, "error_description").is_some());
    assert_eq!(param(&query, "state"), Some("s-d"));
    assert_eq!(param(&query, "code"), None);

    // The switch fires once: the next consent gives a code, whose exchange hits the error switch.
    let query = consent(client.authorize_url(&app, REDIRECT, &["oauth"], &[], "s-e")).await;
    let code = SecretString::from(param(&query, "code").unwrap().to_owned());
    hs.fail_next_token_request();
    let failed = client
        .exchange_code(&app, &code, REDIRECT)
        .await
        .unwrap_err();
    assert!(
        matches!(&failed, HubspotError::OAuth { error, .. } if error == "invalid_request"),
        "{failed:?}"
    );

    // Over the control API too.
    let http = reqwest::Client::new();
    let switched = http
        .put(format!("{}/_sandbox/oauth", hs.base_url()))
        .json(&serde_json::json!({"denyNextConsent": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(switched.status(), StatusCode::OK);
    let query = consent(client.authorize_url(&app, REDIRECT, &["oauth"], &[], "s-f")).await;
    assert_eq!(param(&query, "error"), Some("access_denied"));

    let set = hubspot_tokens_through_consent(&hs, &["oauth".to_owned()], &[]).await;
    client
        .revoke_refresh_token(&app, &set.refresh_token)
        .await
        .unwrap();
    let after = client
        .refresh_tokens(&app, &set.refresh_token)
        .await
        .unwrap_err();
    assert!(
        matches!(&after, HubspotError::OAuth { error, .. } if error == "invalid_grant"),
        "{after:?}"
    );
    assert!(
        client
            .revoke_refresh_token(&app, &set.refresh_token)
            .await
            .is_err()
    );

    // The legacy v1 forms answer the same facts.
    let set = hubspot_tokens_through_consent(&hs, &["oauth".to_owned()], &[]).await;
    let info = http
        .get(format!(
            "{}/oauth/v1/access-tokens/{}",
            hs.base_url(),
            set.access_token.expose_secret()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(info.status(), StatusCode::OK);
    let info: serde_json::Value = info.json().await.unwrap();
    assert_eq!(info["hub_id"], hs.config().portal_id);
    assert_eq!(info["scopes"], serde_json::json!(["oauth"]));
    let revoked = http
        .delete(format!(
            "{}/oauth/v1/refresh-tokens/{}",
            hs.base_url(),
            set.refresh_token.expose_secret()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    assert!(
        client
            .refresh_tokens(&app, &set.refresh_token)
            .await
            .is_err()
    );
    hs.shutdown().await;
}

fn qbo_client(qbo: &QuickbooksSandbox) -> OAuthClient {
    let base = Url::parse(&qbo.base_url()).unwrap();
    OAuthClient::with_token_url(
        quickbooks_token_url_at(&base),
        qbo.config().client_id.clone(),
        SecretString::from(qbo.config().client_secret.clone()),
    )
}

async fn qbo_consent(client: &OAuthClient, state: &str) -> Vec<(String, String)> {
    consent(client.authorize_url(QBO_REDIRECT, &[ACCOUNTING_SCOPE], state)).await
}

#[tokio::test]
async fn quickbooks_code_exchanges_once_for_the_sandbox_realm() {
    let qbo = start_default_quickbooks_sandbox().await;
    let client = qbo_client(&qbo);
    let url = client.authorize_url(QBO_REDIRECT, &[ACCOUNTING_SCOPE], "q-1");
    assert!(
        url.as_str()
            .starts_with(&format!("{}/connect/oauth2?", qbo.base_url()))
    );
    let query = consent(url).await;
    assert_eq!(param(&query, "state"), Some("q-1"));
    assert_eq!(
        param(&query, "realmId"),
        Some(qbo.config().realm_id.as_str())
    );
    let code = SecretString::from(param(&query, "code").unwrap().to_owned());
    let set = client.exchange_code(&code, QBO_REDIRECT).await.unwrap();
    assert!(!set.access_token.expose_secret().is_empty());

    let reused = client.exchange_code(&code, QBO_REDIRECT).await.unwrap_err();
    assert!(
        matches!(reused, OAuthError::InvalidGrant { .. }),
        "{reused:?}"
    );
    let unknown = client
        .exchange_code(&SecretString::from("nope".to_owned()), QBO_REDIRECT)
        .await
        .unwrap_err();
    assert!(matches!(unknown, OAuthError::InvalidGrant { .. }));
    // Bound to the consent's redirect URI.
    let code = SecretString::from(
        param(&qbo_consent(&client, "q-2").await, "code")
            .unwrap()
            .to_owned(),
    );
    let elsewhere = client
        .exchange_code(&code, "http://127.0.0.1:9/elsewhere")
        .await
        .unwrap_err();
    assert!(matches!(elsewhere, OAuthError::InvalidGrant { .. }));
    assert!(!format!("{elsewhere}").contains(code.expose_secret()));

    // The minted access token works against the company.
    let company = reqwest::Client::new()
        .get(format!(
            "{}/v3/company/{}/preferences",
            qbo.base_url(),
            qbo.config().realm_id
        ))
        .bearer_auth(set.access_token.expose_secret())
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(company.status(), StatusCode::OK);
    qbo.shutdown().await;
}

#[tokio::test]
async fn quickbooks_denied_consent_token_endpoint_error_and_revoke() {
    let qbo = start_default_quickbooks_sandbox().await;
    let client = qbo_client(&qbo);
    qbo.deny_next_consent();
    let query = qbo_consent(&client, "q-d").await;
    assert_eq!(param(&query, "error"), Some("access_denied"));
    assert_eq!(param(&query, "state"), Some("q-d"));
    assert_eq!(param(&query, "code"), None);
    assert_eq!(param(&query, "realmId"), None);

    let code = SecretString::from(
        param(&qbo_consent(&client, "q-e").await, "code")
            .unwrap()
            .to_owned(),
    );
    qbo.fail_next_token_request();
    let failed = client.exchange_code(&code, QBO_REDIRECT).await.unwrap_err();
    assert!(
        matches!(&failed, OAuthError::Rejected { status: 400, error, .. } if error == "invalid_request"),
        "{failed:?}"
    );

    let code = SecretString::from(
        param(&qbo_consent(&client, "q-f").await, "code")
            .unwrap()
            .to_owned(),
    );
    let set = client.exchange_code(&code, QBO_REDIRECT).await.unwrap();
    client.revoke(&set.refresh_token).await.unwrap();
    let after = client.refresh(&set.refresh_token).await.unwrap_err();
    assert!(
        matches!(after, OAuthError::InvalidGrant { .. }),
        "{after:?}"
    );
    let api = reqwest::Client::new()
        .get(format!(
            "{}/v3/company/{}/preferences",
            qbo.base_url(),
            qbo.config().realm_id
        ))
        .bearer_auth(set.access_token.expose_secret())
        .send()
        .await
        .unwrap();
    assert_eq!(
        api.status(),
        StatusCode::UNAUTHORIZED,
        "the pair's access token died too"
    );
    let wrong = OAuthClient::with_token_url(
        quickbooks_token_url_at(&Url::parse(&qbo.base_url()).unwrap()),
        qbo.config().client_id.clone(),
        SecretString::from("wrong".to_owned()),
    );
    assert!(matches!(
        wrong.revoke(&set.access_token).await.unwrap_err(),
        OAuthError::InvalidClient { .. }
    ));
    qbo.shutdown().await;
}
