//! The scopes the HubSpot app asks for, read from the one app config
//! (`infra/hubspot-app/src/app/app-hsmeta.json`) so the connect flow cannot drift from it.

use std::sync::LazyLock;

use serde::Deserialize;

/// The app config, compiled in.
const APP_CONFIG: &str = include_str!("../../../infra/hubspot-app/src/app/app-hsmeta.json");

/// `config.auth.requiredScopes` / `optionalScopes` of the app config (docs/hubspot.md §1.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppScopes {
    /// Asked as `scope`: the install fails without them.
    pub required: Vec<String>,
    /// Asked as `optional_scope`: granted when the portal's tier has them.
    pub optional: Vec<String>,
}

impl AppScopes {
    /// Both lists, required first.
    pub fn all(&self) -> impl Iterator<Item = &str> {
        self.required
            .iter()
            .chain(&self.optional)
            .map(String::as_str)
    }
}

#[derive(Deserialize)]
struct AppFile {
    config: AppFileConfig,
}

#[derive(Deserialize)]
struct AppFileConfig {
    auth: AppFileAuth,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AppFileAuth {
    required_scopes: Vec<String>,
    #[serde(default)]
    optional_scopes: Vec<String>,
}

static SCOPES: LazyLock<AppScopes> = LazyLock::new(|| {
    // The file is part of the build; a unit test below parses it, so this cannot fail at run time.
    let file: AppFile = serde_json::from_str(APP_CONFIG).expect("app-hsmeta.json parses");
    AppScopes {
        required: file.config.auth.required_scopes,
        optional: file.config.auth.optional_scopes,
    }
});

/// The app config's scopes, parsed once.
pub fn app_scopes() -> &'static AppScopes {
    &SCOPES
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_app_config_parses_and_asks_for_oauth_and_the_contact_schema_write() {
        let scopes = app_scopes();
        assert!(scopes.required.iter().any(|s| s == "oauth"));
        assert!(
            scopes.all().any(|s| s == "crm.schemas.contacts.write"),
            "{scopes:?}"
        );
        let mut seen = std::collections::HashSet::new();
        assert!(scopes.all().all(|s| seen.insert(s)), "a scope listed twice");
    }
}
