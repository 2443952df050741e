//! A real headless Chromium for the console tests: starts Debian's chromedriver on a free loopback
//! port (stopped with its browser on drop), opens a session, and navigates, fills, clicks, reads,
//! waits and saves screenshots to `target/console-screenshots/NAME.png`.
//!
//! ```ignore
//! let Some(browser) = Browser::start("my_test").await else { return }; // skipped, said why
//! browser.goto(&format!("{base}/")).await;
//! browser.fill("input[name=password]", "secret").await;
//! browser.click("button[type=submit]").await;
//! browser.wait_for_text("h1", "HQSync").await;
//! browser.screenshot("signed-in").await;
//! ```
//!
//! Without `/usr/bin/chromium` or `/usr/bin/chromedriver` a test prints why and returns, except
//! under `CI=true`, where it fails (infra/scripts/browser-tools.sh installs both).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::error::{CmdError, ErrorStatus};
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};

pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// The window every screenshot has (the README's images too).
pub const WINDOW: (u32, u32) = (1280, 800);
/// How long a wait for an element or a text lasts before the test fails.
pub const WAIT: Duration = Duration::from_secs(20);
/// Set to `1` to copy the README's screenshots into `docs/images/` (see [`Browser::publish`]).
pub const UPDATE_SCREENSHOTS_VAR: &str = "HQSYNC_UPDATE_SCREENSHOTS";

/// Chromium's flags on a machine without network: no sandbox (root in a container), no GPU, and
/// nothing that calls Google (QUIC probes, first-run, background fetches, component updates,
/// sync). Each session also gets a new empty `--user-data-dir`.
const CHROMIUM_FLAGS: [&str; 8] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
];

/// Whether the browser tests can run; false after printing why they are skipped. Panics under
/// `CI=true` when either binary is missing.
pub fn browser_available(test: &str) -> bool {
    let missing: Vec<&str> = [CHROMIUM, CHROMEDRIVER]
        .into_iter()
        .filter(|path| !Path::new(path).exists())
        .collect();
    if missing.is_empty() {
        return true;
    }
    let in_ci = std::env::var("CI").is_ok_and(|v| v == "true");
    assert!(
        !in_ci,
        "{test}: {missing:?} missing; under CI the browser tests must run \
         (infra/scripts/browser-tools.sh installs chromium and chromium-driver)"
    );
    eprintln!(
        "SKIPPED {test}: {missing:?} missing (run infra/scripts/browser-tools.sh to install them)"
    );
    false
}

/// The workspace's `target/` (or `CARGO_TARGET_DIR`).
fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"),
    }
}

/// Where [`Browser::screenshot`] saves `NAME.png`.
pub fn screenshot_dir() -> PathBuf {
    target_dir().join("console-screenshots")
}

/// A chromedriver process in its own process group; dropping it ends the group (chromedriver and
/// every Chromium it started), by that group's id.
struct Chromedriver {
    child: Child,
    url: String,
    log: PathBuf,
}

impl Chromedriver {
    fn start(work: &Path) -> Chromedriver {
        use std::os::unix::process::CommandExt;
        // A free port chosen by the kernel (a tiny race with other processes is possible;
        // chromedriver failing to bind shows as it never becoming ready).
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free loopback port")
            .port();
        let log = work.join("chromedriver.log");
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .arg(format!("--log-path={}", log.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("start chromedriver");
        Chromedriver {
            child,
            url: format!("http://127.0.0.1:{port}"),
            log,
        }
    }

    /// Waits until `GET /status` says ready.
    async fn ready(&mut self) {
        let http = reqwest::Client::new();
        let begun = Instant::now();
        loop {
            if let Ok(Some(exit)) = self.child.try_wait() {
                panic!("chromedriver exited ({exit}): {}", self.log_tail());
            }
            let status = http
                .get(format!("{}/status", self.url))
                .timeout(Duration::from_secs(2))
                .send()
                .await;
            if let Ok(response) = status
                && let Ok(body) = response.json::<Value>().await
                && body["value"]["ready"] == true
            {
                return;
            }
            assert!(
                begun.elapsed() < WAIT,
                "chromedriver not ready on {}: {}",
                self.url,
                self.log_tail()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        let group = self.child.id();
        // `kill -- -PGID` ends the group chromedriver leads (its browsers included).
        let _ = Command::new("kill")
            .args(["-TERM", "--", &format!("-{group}")])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One Chromium session through chromedriver.
pub struct Browser {
    client: Client,
    work: PathBuf,
    // Dropped after `client`: the session first, then the processes.
    _driver: Chromedriver,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.work);
    }
}

/// What a failed command says, for a panic message.
fn explain(what: &str, error: CmdError) -> String {
    format!("{what}: {error}")
}

impl Browser {
    /// A new browser with an empty profile, or `None` when the tests are skipped (see
    /// [`browser_available`]).
    pub async fn start(test: &str) -> Option<Browser> {
        if !browser_available(test) {
            return None;
        }
        let work = std::env::temp_dir().join(format!("hqsync-browser-{}", uuid::Uuid::new_v4()));
        let profile = work.join("profile");
        std::fs::create_dir_all(&profile).expect("a browser profile directory");
        let mut driver = Chromedriver::start(&work);
        driver.ready().await;

        let mut args: Vec<String> = CHROMIUM_FLAGS.iter().map(|f| f.to_string()).collect();
        args.push(format!("--user-data-dir={}", profile.display()));
        args.push(format!("--window-size={},{}", WINDOW.0, WINDOW.1));
        let capabilities = json!({
            "browserName": "chrome",
            // A dialog stays open so a test can see it (`alert_text`) instead of it being
            // dismissed behind the test's back.
            "unhandledPromptBehavior": "ignore",
            "goog:chromeOptions": { "binary": CHROMIUM, "args": args },
        });
        let Value::Object(capabilities) = capabilities else {
            unreachable!("a JSON object")
        };
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&driver.url)
            .await
            .unwrap_or_else(|e| panic!("a Chromium session: {e}\n{}", driver.log_tail()));
        let browser = Browser {
            client,
            work,
            _driver: driver,
        };
        browser.set_page_area(WINDOW).await;
        Some(browser)
    }

    /// Sizes the window so the page area (and so every screenshot) is exactly `area` (width,
    /// height in CSS pixels; [`WINDOW`] at start): `--window-size` counts the browser's frame too.
    pub async fn set_page_area(&self, area: (u32, u32)) {
        for _ in 0..3 {
            let inner = self
                .execute("return [window.innerWidth, window.innerHeight];", vec![])
                .await;
            let (width, height) = (
                inner[0].as_u64().unwrap_or_default() as u32,
                inner[1].as_u64().unwrap_or_default() as u32,
            );
            if (width, height) == area {
                return;
            }
            let (outer_width, outer_height) = self
                .client
                .get_window_size()
                .await
                .unwrap_or_else(|e| panic!("{}", explain("window size", e)));
            self.client
                .set_window_size(
                    (outer_width as u32 + area.0).saturating_sub(width),
                    (outer_height as u32 + area.1).saturating_sub(height),
                )
                .await
                .unwrap_or_else(|e| panic!("{}", explain("resize the window", e)));
        }
        panic!("the page area never became {area:?}");
    }

    /// The WebDriver client, for what this driver does not wrap.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Opens `url` and waits for it to load.
    pub async fn goto(&self, url: &str) {
        self.client
            .goto(url)
            .await
            .unwrap_or_else(|e| panic!("{}", explain(&format!("open {url}"), e)));
    }

    /// The address the browser shows.
    pub async fn url(&self) -> url::Url {
        self.client
            .current_url()
            .await
            .unwrap_or_else(|e| panic!("{}", explain("current URL", e)))
    }

    /// The first element matching `css`, waiting up to [`WAIT`] for it to appear.
    pub async fn wait_for(&self, css: &str) -> Element {
        self.client
            .wait()
            .at_most(WAIT)
            .every(Duration::from_millis(50))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{}", explain(&format!("wait for {css}"), e)))
    }

    /// Every element matching `css` now (none is an empty list).
    pub async fn all(&self, css: &str) -> Vec<Element> {
        self.client
            .find_all(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{}", explain(&format!("find {css}"), e)))
    }

    /// Types `text` into the field `css` after clearing it.
    pub async fn fill(&self, css: &str, text: &str) {
        let field = self.wait_for(css).await;
        field
            .clear()
            .await
            .unwrap_or_else(|e| panic!("{}", explain(&format!("clear {css}"), e)));
        field
            .send_keys(text)
            .await
            .unwrap_or_else(|e| panic!("{}", explain(&format!("type into {css}"), e)));
    }

    /// Clicks the element `css` (a link or a submit button waits for the next page to load).
    pub async fn click(&self, css: &str) {
        self.wait_for(css)
            .await
            .click()
            .await
            .unwrap_or_else(|e| panic!("{}", explain(&format!("click {css}"), e)));
    }

    /// Clicks the link whose visible text is exactly `text`.
    pub async fn click_link(&self, text: &str) {
        self.client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::LinkText(text))
            .await
            .unwrap_or_else(|e| panic!("{}", explain(&format!("link {text:?}"), e)))
            .click()
            .await
            .unwrap_or_else(|e| panic!("{}", explain(&format!("click link {text:?}"), e)));
    }

    /// The rendered text of the element `css` (waiting for it to appear).
    pub async fn text(&self, css: &str) -> String {
        self.wait_for(css)
            .await
            .text()
            .await
            .unwrap_or_else(|e| panic!("{}", explain(&format!("text of {css}"), e)))
    }

    /// The rendered text of the whole page.
    pub async fn page_text(&self) -> String {
        self.text("body").await
    }

    /// Waits up to [`WAIT`] until the text of `css` contains `needle`; that text.
    pub async fn wait_for_text(&self, css: &str, needle: &str) -> String {
        let begun = Instant::now();
        loop {
            let text = match self.client.find(Locator::Css(css)).await {
                Ok(element) => element.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            if text.contains(needle) {
                return text;
            }
            assert!(
                begun.elapsed() < WAIT,
                "{css} never said {needle:?} at {}; it says:\n{text}",
                self.url().await
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Reloads the page until the text of `css` contains `needle` (a page the server renders
    /// once, watching a background job), up to `bound`; that text.
    pub async fn reload_until_text(&self, css: &str, needle: &str, bound: Duration) -> String {
        let begun = Instant::now();
        loop {
            let text = match self.client.find(Locator::Css(css)).await {
                Ok(element) => element.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            if text.contains(needle) {
                return text;
            }
            assert!(
                begun.elapsed() < bound,
                "{css} never said {needle:?} at {}; it says:\n{text}",
                self.url().await
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
            self.client
                .refresh()
                .await
                .unwrap_or_else(|e| panic!("{}", explain("reload", e)));
        }
    }

    /// Runs `script` in the page (`return ...;` answers) with `args`.
    pub async fn execute(&self, script: &str, args: Vec<Value>) -> Value {
        self.client
            .execute(script, args)
            .await
            .unwrap_or_else(|e| panic!("{}", explain("run a script", e)))
    }

    /// The text of an open `alert`, `confirm` or `prompt` dialog, if one is open.
    pub async fn alert_text(&self) -> Option<String> {
        match self.client.get_alert_text().await {
            Ok(text) => Some(text),
            Err(CmdError::Standard(e)) if e.error == ErrorStatus::NoSuchAlert => None,
            Err(e) => panic!("{}", explain("ask for a dialog", e)),
        }
    }

    /// Saves the window as `target/console-screenshots/NAME.png`; its path.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let png = self
            .client
            .screenshot()
            .await
            .unwrap_or_else(|e| panic!("{}", explain(&format!("screenshot {name}"), e)));
        assert!(png.starts_with(b"\x89PNG"), "{name}: not a PNG");
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).expect("the screenshot directory");
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).expect("write the screenshot");
        path
    }

    /// [`Browser::screenshot`], and with `HQSYNC_UPDATE_SCREENSHOTS=1` a copy as the README's
    /// `docs/images/console-NAME.png`.
    pub async fn publish(&self, name: &str) -> PathBuf {
        let path = self.screenshot(name).await;
        if std::env::var(UPDATE_SCREENSHOTS_VAR).is_ok_and(|v| v == "1") {
            let images = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/images");
            std::fs::create_dir_all(&images).expect("docs/images");
            std::fs::copy(&path, images.join(format!("console-{name}.png")))
                .expect("copy the screenshot into docs/images");
        }
        path
    }

    /// Ends the session (Chromium quits); the processes end when the browser is dropped.
    pub async fn close(self) {
        let _ = self.client.clone().close().await;
    }
}
