//! Accessibility and layout checks on the page a [`Browser`] shows: axe-core's WCAG 2.1 A and AA
//! rules (labels, names, contrast, landmarks, …), no sideways scrolling, and every control reached
//! by the Tab key.
//!
//! axe-core (Deque's engine, the one browsers' own audits use) is injected as a script, so no Node
//! runs; `infra/scripts/browser-tools.sh` fetches the pinned version into
//! `target/browser-tools/axe-core-VERSION/axe.min.js`. Without it a test prints why and skips the
//! audit, except under `CI=true`, where it fails.

use std::path::PathBuf;
use std::sync::OnceLock;

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;
use serde_json::{Value, json};

use crate::browser::Browser;

/// The axe-core version `infra/scripts/browser-tools.sh` fetches.
pub const AXE_VERSION: &str = "4.10.3";

/// The rule sets audited: WCAG 2.0 and 2.1, levels A and AA.
const AXE_TAGS: [&str; 4] = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];

fn axe_path() -> PathBuf {
    let target = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"),
    };
    target
        .join("browser-tools")
        .join(format!("axe-core-{AXE_VERSION}"))
        .join("axe.min.js")
}

/// axe-core's source, read once; `None` (after saying why) when it is missing outside CI.
fn axe_source() -> Option<&'static str> {
    static SOURCE: OnceLock<Option<String>> = OnceLock::new();
    SOURCE
        .get_or_init(|| {
            let path = axe_path();
            match std::fs::read_to_string(&path) {
                Ok(source) => Some(source),
                Err(error) => {
                    let in_ci = std::env::var("CI").is_ok_and(|v| v == "true");
                    assert!(
                        !in_ci,
                        "{}: {error}; under CI the console pages must be audited \
                         (infra/scripts/browser-tools.sh fetches axe-core)",
                        path.display()
                    );
                    eprintln!(
                        "SKIPPED the accessibility audit: {} missing (run \
                         infra/scripts/browser-tools.sh)",
                        path.display()
                    );
                    None
                }
            }
        })
        .as_deref()
}

/// What is wrong with the page shown, one line each (empty: nothing found). `None` when axe-core
/// is missing outside CI.
pub async fn page_problems(browser: &Browser) -> Option<Vec<String>> {
    let source = axe_source()?;
    let mut problems = axe_violations(browser, source).await;
    problems.extend(sideways_scrolling(browser).await);
    problems.extend(unreachable_by_tab(browser).await);
    Some(problems)
}

/// axe-core's WCAG A/AA violations, each with the rule, its impact and the first elements hit.
async fn axe_violations(browser: &Browser, source: &str) -> Vec<String> {
    // A WebDriver script runs outside the page's Content-Security-Policy, so the console's
    // strict policy does not need loosening for the audit.
    browser
        .execute(&format!("{source}\n;return typeof axe;"), vec![])
        .await;
    let script = r#"
        const [tags, done] = arguments;
        axe.run(document, { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] })
          .then(result => done(result.violations.map(v =>
            `${v.id} (${v.impact}): ${v.help}: ` +
            v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(", "))))
          .catch(error => done([`axe-core failed: ${error}`]));
    "#;
    let found = browser
        .client()
        .execute_async(script, vec![json!(AXE_TAGS)])
        .await
        .unwrap_or_else(|e| panic!("run axe-core: {e}"));
    strings(found)
}

/// The elements wider than the page area when the page scrolls sideways.
async fn sideways_scrolling(browser: &Browser) -> Vec<String> {
    let script = r##"
        const width = document.documentElement.clientWidth;
        if (document.documentElement.scrollWidth <= width) return [];
        const wide = [...document.body.querySelectorAll("*")]
          .filter(e => e.getBoundingClientRect().right > width + 1)
          .map(e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : ""))
          .slice(0, 5);
        return [`scrolls sideways: ${document.documentElement.scrollWidth}px content in ${width}px (${wide.join(", ")})`];
    "##;
    strings(browser.execute(script, vec![]).await)
}

/// The visible controls (links, buttons, fields) that pressing Tab from the top never focuses.
async fn unreachable_by_tab(browser: &Browser) -> Vec<String> {
    let mark = r#"
        const controls = [...document.querySelectorAll(
            "a[href], button, input:not([type=hidden]), select, textarea, summary")]
          .filter(e => !e.disabled && e.getClientRects().length > 0
                       && getComputedStyle(e).visibility !== "hidden");
        controls.forEach((e, i) => e.setAttribute("data-audit-tab", String(i)));
        document.activeElement && document.activeElement.blur();
        // Other stops (a scrolling table region) take a press each too.
        const stops = document.querySelectorAll("[tabindex]:not([tabindex='-1'])").length;
        return [controls.length, stops];
    "#;
    let counts = browser.execute(mark, vec![]).await;
    let count = counts[0].as_u64().unwrap_or(0) as usize;
    let stops = counts[1].as_u64().unwrap_or(0) as usize;
    let mut reached = vec![false; count];
    // Two extra presses: past the last stop focus leaves the page, then returns to the top.
    for _ in 0..count + stops + 2 {
        let tab = KeyActions::new("keyboard".into())
            .then(KeyAction::Down {
                value: Key::Tab.into(),
            })
            .then(KeyAction::Up {
                value: Key::Tab.into(),
            });
        browser
            .client()
            .perform_actions(tab)
            .await
            .unwrap_or_else(|e| panic!("press Tab: {e}"));
        let at = browser
            .execute(
                "const a = document.activeElement; return a ? a.getAttribute('data-audit-tab') : null;",
                vec![],
            )
            .await;
        if let Some(slot) = at
            .as_str()
            .and_then(|s| s.parse::<usize>().ok())
            .and_then(|i| reached.get_mut(i))
        {
            *slot = true;
        }
    }
    let missed: Vec<usize> = (0..count).filter(|&i| !reached[i]).collect();
    if missed.is_empty() {
        return Vec::new();
    }
    let names = browser
        .execute(
            "return arguments[0].map(i => { const e = document.querySelector(`[data-audit-tab=\"${i}\"]`); \
             return e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + ' ' + (e.textContent || e.name || '').trim().slice(0, 40); });",
            vec![json!(missed)],
        )
        .await;
    strings(names)
        .into_iter()
        .map(|name| format!("not reached by Tab: {name}"))
        .collect()
}

fn strings(value: Value) -> Vec<String> {
    match value {
        Value::Array(items) => items
            .into_iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| v.to_string())
            })
            .collect(),
        other => vec![format!("unexpected audit answer: {other}")],
    }
}
