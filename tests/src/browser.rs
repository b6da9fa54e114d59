//! The real-browser harness of the console's tests: Debian's Chromium, headless, driven over
//! WebDriver by `chromedriver` (a child process on a free loopback port) through `fantoccini`.
//!
//! This module owns starting and stopping chromedriver and the browser session, the skip rule
//! (no `/usr/bin/chromedriver`: a test gets `None` and returns, unless
//! `ASSETHUB_REQUIRE_BROWSER=1`, which `.ci/run` sets after installing `chromium` and
//! `chromium-driver`, where it panics), the page helpers the stories use (`goto`, `fill`,
//! `select`, `click`, `text`, `wait_for`, `wait_text`, `count`, ...), and where screenshots go:
//! `<CARGO_TARGET_TMPDIR or target/tmp>/console-screenshots/<story>/<name>.png`.
//!
//! Each [`Browser`] has its own chromedriver, its own process group and its own scratch
//! directory (the Chromium profile, and `TMPDIR` for chromedriver and Chromium); dropping it
//! kills the group (chromedriver and every Chromium process it started) and removes the
//! directory, so a test that panics leaves no browser or temporary files behind.

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Where Debian's `chromium-driver` puts chromedriver.
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// Where Debian's `chromium` puts the browser.
pub const CHROMIUM: &str = "/usr/bin/chromium";
/// The window every session starts with (`resize` changes it).
pub const WINDOW: (u32, u32) = (1280, 800);

/// How long chromedriver may take to answer on its port, and how long a session may take to open.
const STARTUP: Duration = Duration::from_secs(30);
/// How often `wait_for` and `wait_text` look again.
const POLL: Duration = Duration::from_millis(50);
/// How much of the page's text a failed `wait_text` shows.
const PAGE_TEXT_LIMIT: usize = 2048;

/// A cookie as the browser holds it: its name, value and flags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrowserCookie {
    pub name: String,
    pub value: String,
    pub path: Option<String>,
    pub http_only: bool,
    pub secure: bool,
    /// `Strict`, `Lax` or `None`, when the browser reports it.
    pub same_site: Option<String>,
}

/// A headless Chromium session of one story, with the chromedriver that serves it.
pub struct Browser {
    /// `None` once [`Browser::close`] has ended the session.
    client: Option<Client>,
    driver: Driver,
    story: String,
}

/// The chromedriver child process (leader of its own process group) and its scratch directory:
/// `profile/` (Chromium's user data) and `tmp/` (their `TMPDIR`).
struct Driver {
    child: Child,
    scratch: tempfile::TempDir,
}

impl Driver {
    fn profile(&self) -> PathBuf {
        self.scratch.path().join("profile")
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        kill_group(&mut self.child);
    }
}

#[cfg(unix)]
fn kill_group(child: &mut Child) {
    // chromedriver leads its own process group; Chromium's processes stay in it.
    let pid = child.id() as libc::pid_t;
    // SAFETY: kill(2) with a negative pid signals that process group; no memory is involved.
    unsafe {
        libc::kill(-pid, libc::SIGKILL);
    }
    let _ = child.kill();
    let _ = child.wait();
}

#[cfg(not(unix))]
fn kill_group(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

impl Browser {
    /// Starts chromedriver and a headless Chromium session for `story` (the screenshots'
    /// directory name). `None`, with one line on stderr, when chromedriver is not installed;
    /// a panic instead when `ASSETHUB_REQUIRE_BROWSER=1`, or when an installed browser fails.
    pub async fn start(story: &str) -> Option<Browser> {
        if !Path::new(CHROMEDRIVER).exists() {
            let why = format!(
                "chromedriver not found at {CHROMEDRIVER}; .ci/run installs chromium and chromium-driver"
            );
            assert!(
                std::env::var("ASSETHUB_REQUIRE_BROWSER").as_deref() != Ok("1"),
                "{why}, and ASSETHUB_REQUIRE_BROWSER=1"
            );
            eprintln!("browser tests skipped: {why}");
            return None;
        }
        let dir = story_dir(story);
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("creating {}: {e}", dir.display()));
        let (driver, port) = spawn_driver(&dir).await;
        let client = open_session(port, &driver.profile()).await;
        let browser = Browser {
            client: Some(client),
            driver,
            story: story.to_string(),
        };
        // --window-size sizes the window; the page gets that less Chromium's frame.
        browser.resize(WINDOW.0, WINDOW.1).await;
        Some(browser)
    }

    /// The fantoccini client, for what the helpers below do not cover.
    pub fn client(&self) -> &Client {
        self.client.as_ref().expect("the browser session is open")
    }

    /// The story this browser was started for.
    pub fn story(&self) -> &str {
        &self.story
    }

    /// chromedriver's process id (the leader of the browser's process group).
    pub fn driver_pid(&self) -> u32 {
        self.driver.child.id()
    }

    /// Navigates to `url` and waits until the page has loaded.
    pub async fn goto(&self, url: &str) {
        self.client()
            .goto(url)
            .await
            .unwrap_or_else(|e| panic!("goto {url}: {e}"));
    }

    /// The URL of the current page.
    pub async fn current_url(&self) -> String {
        self.client()
            .current_url()
            .await
            .expect("the current URL")
            .to_string()
    }

    /// The element at `css`, now (panics when there is none; see [`Browser::wait_for`]).
    pub async fn find(&self, css: &str) -> Element {
        self.client()
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no element at {css:?}: {e}"))
    }

    /// Clears the input at `css`, then types `text` into it.
    pub async fn fill(&self, css: &str, text: &str) {
        let field = self.find(css).await;
        field
            .clear()
            .await
            .unwrap_or_else(|e| panic!("clearing {css:?}: {e}"));
        field
            .send_keys(text)
            .await
            .unwrap_or_else(|e| panic!("typing into {css:?}: {e}"));
    }

    /// Chooses the `<option>` with `value` in the `<select>` at `css`.
    pub async fn select(&self, css: &str, value: &str) {
        self.find(css)
            .await
            .select_by_value(value)
            .await
            .unwrap_or_else(|e| panic!("choosing {value:?} in {css:?}: {e}"));
    }

    /// Clicks the element at `css`.
    pub async fn click(&self, css: &str) {
        self.find(css)
            .await
            .click()
            .await
            .unwrap_or_else(|e| panic!("clicking {css:?}: {e}"));
    }

    /// The rendered text of the element at `css`.
    pub async fn text(&self, css: &str) -> String {
        self.find(css)
            .await
            .text()
            .await
            .unwrap_or_else(|e| panic!("the text of {css:?}: {e}"))
    }

    /// How many elements match `css` now.
    pub async fn count(&self, css: &str) -> usize {
        self.client()
            .find_all(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("finding {css:?}: {e}"))
            .len()
    }

    /// The element at `css`, once there is one; panics with the page's text after `timeout`.
    pub async fn wait_for(&self, css: &str, timeout: Duration) -> Element {
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(element) = self.client().find(Locator::Css(css)).await {
                return element;
            }
            if Instant::now() >= deadline {
                let page = self.page_text().await;
                panic!("no element at {css:?} after {timeout:?}; the page reads:\n{page}");
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Waits until the text of the element at `css` contains `needle` and returns that text;
    /// panics after `timeout` with the page's current text (at most 2 kB).
    pub async fn wait_text(&self, css: &str, needle: &str, timeout: Duration) -> String {
        self.try_wait_text(css, needle, timeout)
            .await
            .unwrap_or_else(|why| panic!("{why}"))
    }

    /// [`Browser::wait_text`], with the failure (the message it would panic with) returned.
    pub async fn try_wait_text(
        &self,
        css: &str,
        needle: &str,
        timeout: Duration,
    ) -> Result<String, String> {
        let deadline = Instant::now() + timeout;
        let mut last = None;
        loop {
            if let Ok(element) = self.client().find(Locator::Css(css)).await {
                if let Ok(text) = element.text().await {
                    if text.contains(needle) {
                        return Ok(text);
                    }
                    last = Some(text);
                }
            }
            if Instant::now() >= deadline {
                let page = self.page_text().await;
                let element = match last {
                    Some(text) => format!("its text is {:?}", truncate(&text, 200)),
                    None => "no such element".to_string(),
                };
                return Err(format!(
                    "{css:?} never read {needle:?} within {timeout:?} ({element}); the page reads:\n{page}"
                ));
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// The page's visible text (the body's), at most 2 kB, for failure messages.
    pub async fn page_text(&self) -> String {
        let text = match self.client().find(Locator::Css("body")).await {
            Ok(body) => body
                .text()
                .await
                .unwrap_or_else(|e| format!("<no text: {e}>")),
            Err(e) => format!("<no body: {e}>"),
        };
        truncate(&text, PAGE_TEXT_LIMIT)
    }

    /// Resizes the viewport (what the page sees as `innerWidth` × `innerHeight`, and what a
    /// screenshot holds) to `width` × `height` CSS pixels: the window is made larger by what
    /// Chromium's own frame takes.
    pub async fn resize(&self, width: u32, height: u32) {
        let set = |w: u32, h: u32| async move {
            self.client()
                .set_window_size(w, h)
                .await
                .unwrap_or_else(|e| panic!("resizing the window to {w}x{h}: {e}"));
        };
        set(width, height).await;
        let (inner_w, inner_h) = self.viewport().await;
        if (inner_w, inner_h) != (width, height) {
            let grow =
                |want: u32, inner: u32| (2 * i64::from(want) - i64::from(inner)).max(1) as u32;
            set(grow(width, inner_w), grow(height, inner_h)).await;
        }
    }

    /// The viewport's size: `innerWidth` × `innerHeight` in CSS pixels.
    pub async fn viewport(&self) -> (u32, u32) {
        let size = self
            .execute("return [window.innerWidth, window.innerHeight]")
            .await;
        let dim = |i: usize| {
            size[i]
                .as_u64()
                .and_then(|v| u32::try_from(v).ok())
                .unwrap_or_else(|| panic!("the viewport's size: {size}"))
        };
        (dim(0), dim(1))
    }

    /// Saves a PNG of the viewport as `<dir>/console-screenshots/<story>/<name>.png` and
    /// returns its path.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let png = self
            .client()
            .screenshot()
            .await
            .unwrap_or_else(|e| panic!("screenshot {name}: {e}"));
        let dir = story_dir(&self.story);
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("creating {}: {e}", dir.display()));
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
        path
    }

    /// The cookies of the current document, with their flags (HttpOnly ones included).
    pub async fn cookies(&self) -> Vec<BrowserCookie> {
        self.client()
            .get_all_cookies()
            .await
            .expect("the page's cookies")
            .into_iter()
            .map(|c| BrowserCookie {
                name: c.name().to_string(),
                value: c.value().to_string(),
                path: c.path().map(str::to_string),
                http_only: c.http_only().unwrap_or(false),
                secure: c.secure().unwrap_or(false),
                same_site: c.same_site().map(|s| s.to_string()),
            })
            .collect()
    }

    /// Runs `js` as a function body in the page (`return ...` gives a value) and returns its
    /// result as JSON.
    pub async fn execute(&self, js: &str) -> serde_json::Value {
        self.client()
            .execute(js, Vec::new())
            .await
            .unwrap_or_else(|e| panic!("executing {js:?}: {e}"))
    }

    /// Ends the session (Chromium quits), then stops chromedriver.
    pub async fn close(mut self) {
        if let Some(client) = self.client.take() {
            if let Err(e) = client.close().await {
                eprintln!("closing the browser session of {}: {e}", self.story);
            }
        }
        // Dropping `self` kills chromedriver's process group and removes its scratch directory.
    }
}

/// `<CARGO_TARGET_TMPDIR or target/tmp>/console-screenshots/<story>`.
pub fn story_dir(story: &str) -> PathBuf {
    let safe: String = story
        .chars()
        .map(|c| match c {
            '/' | '\\' | ':' | '\0' => '_',
            c => c,
        })
        .collect();
    target_tmpdir().join("console-screenshots").join(safe)
}

/// Cargo's scratch directory for tests: `CARGO_TARGET_TMPDIR` when set, otherwise `tmp` in the
/// target directory of the running test executable (`target/<profile>/deps/<test>`).
pub fn target_tmpdir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_TMPDIR") {
        return dir.into();
    }
    if let Ok(exe) = std::env::current_exe() {
        let mut dir = exe.parent();
        if dir.is_some_and(|d| d.ends_with("deps")) {
            dir = dir.and_then(Path::parent);
        }
        if let Some(target) = dir.and_then(Path::parent) {
            return target.join("tmp");
        }
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/tmp")
}

fn truncate(text: &str, limit: usize) -> String {
    if text.len() <= limit {
        return text.to_string();
    }
    let mut end = limit;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes in all)", &text[..end], text.len())
}

/// Starts chromedriver on a free port (a few tries, should another process take the port first)
/// and waits until it answers `/status`.
async fn spawn_driver(dir: &Path) -> (Driver, u16) {
    let log = dir.join("chromedriver.log");
    let mut failures = Vec::new();
    for _ in 0..3 {
        let port = free_port();
        let scratch = tempfile::Builder::new()
            .prefix("assethub-chromium-")
            .tempdir()
            .expect("a scratch directory for Chromium");
        for sub in ["profile", "tmp"] {
            std::fs::create_dir(scratch.path().join(sub)).expect("Chromium's scratch directories");
        }
        let mut command = Command::new(CHROMEDRIVER);
        command
            .arg(format!("--port={port}"))
            .arg(format!("--log-path={}", log.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .env("TMPDIR", scratch.path().join("tmp"));
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("starting {CHROMEDRIVER}: {e}"));
        let mut driver = Driver { child, scratch };
        match wait_until_ready(&mut driver.child, port).await {
            Ok(()) => return (driver, port),
            Err(why) => failures.push(format!("port {port}: {why}")),
        }
    }
    panic!(
        "chromedriver did not start ({}); see {}",
        failures.join("; "),
        log.display()
    );
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

async fn wait_until_ready(child: &mut Child, port: u16) -> Result<(), String> {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .expect("an HTTP client");
    let url = format!("http://127.0.0.1:{port}/status");
    let deadline = Instant::now() + STARTUP;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("chromedriver exited ({status})"));
        }
        if let Ok(response) = http.get(&url).send().await {
            if response.status().is_success() {
                return Ok(());
            }
        }
        if Instant::now() >= deadline {
            return Err(format!("no answer on {url} within {STARTUP:?}"));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A WebDriver session with headless Chromium, Chinese as the page language.
async fn open_session(port: u16, profile: &Path) -> Client {
    let (width, height) = WINDOW;
    let args = vec![
        "--headless=new".to_string(),
        "--no-sandbox".to_string(),
        "--disable-gpu".to_string(),
        "--disable-dev-shm-usage".to_string(),
        format!("--window-size={width},{height}"),
        "--lang=zh-CN".to_string(),
        format!("--user-data-dir={}", profile.display()),
        "--no-first-run".to_string(),
        "--no-default-browser-check".to_string(),
    ];
    let mut capabilities = serde_json::Map::new();
    capabilities.insert("browserName".into(), "chrome".into());
    capabilities.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": CHROMIUM,
            "args": args,
            "prefs": { "intl.accept_languages": "zh-CN,zh" },
        }),
    );
    let mut builder = ClientBuilder::rustls().expect("a rustls HTTP connector");
    builder.capabilities(capabilities);
    let url = format!("http://127.0.0.1:{port}");
    match tokio::time::timeout(STARTUP, builder.connect(&url)).await {
        Ok(Ok(client)) => client,
        Ok(Err(e)) => panic!("opening a Chromium session through chromedriver at {url}: {e}"),
        Err(_) => panic!("opening a Chromium session through chromedriver at {url}: no answer within {STARTUP:?}"),
    }
}
