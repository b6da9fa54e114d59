//! The enforcement console in a real browser (headless Chromium through chromedriver; skipped
//! with a message when it is not installed, unless `ASSETHUB_REQUIRE_BROWSER=1`), against a hub
//! and its mock agencies:
//!
//! - a judge of 鄂0116 signs in, searches 张伟 in `(2024)鄂0116执1234号`, sees every source's
//!   answer arrive, one-click freezes 1,000.00 yuan and sees the orders become effective live;
//! - a supervisor approves an order awaiting approval;
//! - an auditor verifies the audit chain;
//! - a judge of 鄂01 can neither see nor act on the 鄂0116 case;
//! - a form posted from another origin changes nothing;
//! - every page fits a 1280×800 and a 1920×1080 screen, every field has a label and is in the
//!   keyboard's order, and signing in works with the keyboard alone.
//!
//! Each story saves screenshots under `target/tmp/console-screenshots/<story>/`.

use assethub_client::{Credential, Role};
use assethub_console::{ConsoleConfig, RunningConsole};
use assethub_proto::v1 as pb;
use assethub_tests::browser::Browser;
use assethub_tests::{clients_as, token, World, WorldOptions, CASE, COURT, OTHER_COURT};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(20);

/// The identities the sign-in page offers, in this order.
const IDENTITIES: [(Role, &str); 5] = [
    (Role::Judge, COURT),
    (Role::Supervisor, COURT),
    (Role::Auditor, COURT),
    (Role::Judge, OTHER_COURT),
    (Role::Admin, COURT),
];

async fn console(world: &World) -> RunningConsole {
    let identities = IDENTITIES
        .iter()
        .map(|(role, court)| Credential {
            issuer: "demo".into(),
            court: (*court).into(),
            role: *role,
            officer: assethub_tests::officer_of(*role).into(),
            token: token(*role, court),
        })
        .collect();
    assethub_console::spawn(
        ConsoleConfig {
            hub_addr: world.hub.url(),
            identities,
            secure_cookies: false,
            ca_file: None,
        },
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .expect("the console starts")
}

/// The orders of [`CASE`], as the hub recorded them.
async fn case_orders(world: &World) -> Vec<pb::Order> {
    let (_, mut orders) = clients_as(&world.channel, Role::Judge, COURT);
    orders
        .list_orders(pb::ListOrdersRequest {
            case_number: CASE.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .orders
}

/// Signs in through the sign-in page's identity picker as identity `index`.
async fn sign_in(browser: &Browser, console: &RunningConsole, index: usize) {
    browser.goto(&format!("{}signin", console.url())).await;
    browser.select("#identity", &index.to_string()).await;
    browser.click("#signin-submit").await;
    browser.wait_for("#who", WAIT).await;
}

/// The position of 张伟 among the case's debtors, as the search page lists them.
async fn zhang_wei(browser: &Browser, console: &RunningConsole) -> String {
    browser
        .goto(&format!(
            "{}search?case={}",
            console.url(),
            assethub_console::html::url(CASE)
        ))
        .await;
    browser.wait_for("#debtor", WAIT).await;
    let value = browser
        .execute(
            "return [...document.querySelectorAll('#debtor option')].find(o => o.textContent.includes('张伟')).value",
        )
        .await;
    value
        .as_str()
        .expect("张伟 is a debtor of the case")
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_judge_searches_and_freezes_one_thousand_yuan_and_watches_the_orders_take_effect() {
    let Some(browser) = Browser::start("judge_search_freeze").await else {
        return;
    };
    let world = World::start_with(WorldOptions::default()).await;
    let console = console(&world).await;
    sign_in(&browser, &console, 0).await;
    assert!(browser.text("#who").await.contains("鄂0116"));
    // The session cookie is not readable by scripts and not sent cross-site.
    let cookies = browser.cookies().await;
    let session = cookies
        .iter()
        .find(|c| c.name == assethub_console::session::COOKIE)
        .expect("a session cookie");
    assert!(session.http_only, "{session:?}");
    assert_eq!(session.same_site.as_deref(), Some("Strict"), "{session:?}");

    let debtor = zhang_wei(&browser, &console).await;
    browser
        .goto(&format!(
            "{}search?case={}&debtor={debtor}",
            console.url(),
            assethub_console::html::url(CASE)
        ))
        .await;
    browser.wait_for("#done", WAIT).await;
    let sources = world.config.sources.len();
    assert_eq!(sources, 6, "the test line-up has six sources");
    assert_eq!(browser.count("section.source").await, sources);
    assert_eq!(
        browser.count("section.source[data-status=OK]").await,
        sources,
        "{}",
        browser.page_text().await
    );
    let shown = browser.page_text().await;
    assert!(
        !shown.contains(assethub_mocks::population::DEMO_PERSON_ID),
        "a full identity number is shown"
    );
    browser.screenshot("search").await;

    // One-click freeze of 1,000.00 yuan: the preview, the ruling, the confirmation.
    browser.fill("#cap", "1,000.00").await;
    browser.click("#freeze-preview").await;
    browser.wait_for("#plan", WAIT).await;
    assert_eq!(browser.text("#aim").await, "1,000.00");
    assert_eq!(browser.text("#short").await, "0.00");
    let key = browser.text("#key").await;
    assert!(key.starts_with("console-"), "{key}");
    browser.fill("#ruling", "(2024)鄂0116执1234号之一").await;
    browser.click("#confirm").await;
    browser.click("#freeze-submit").await;
    browser.wait_text("#freeze-result", "已提交", WAIT).await;
    assert_eq!(
        browser.text("#key").await,
        key,
        "the key shown is the key sent"
    );
    // Live: every order of the request reaches effective without reloading the page.
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let orders = browser.count("tr.order").await;
        let effective = browser.count("tr.order[data-state=effective]").await;
        if orders > 0 && orders == effective {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{effective} of {orders} orders effective: {}",
            browser.page_text().await
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    browser.screenshot("freeze").await;
    // What the hub recorded: 1,000.00 yuan frozen for the case, under the key the page showed.
    let listed = case_orders(&world).await;
    let frozen: i64 = listed.iter().map(|o| o.frozen_fen).sum();
    assert_eq!(frozen, 100_000);
    assert!(listed.iter().all(|o| o.idempotency_key.starts_with(&key)));

    // The case page shows the holds, then the wide screen.
    browser
        .goto(&format!(
            "{}case?n={}",
            console.url(),
            assethub_console::html::url(CASE)
        ))
        .await;
    browser
        .wait_for("tr.order[data-state=effective]", WAIT)
        .await;
    browser.wait_for("#feed li.event", WAIT).await;
    browser.screenshot("case").await;
    browser.resize(1920, 1080).await;
    browser.screenshot("case-1920").await;
    let overflow = browser
        .execute("return document.documentElement.scrollWidth > window.innerWidth")
        .await;
    assert_eq!(
        overflow,
        serde_json::Value::Bool(false),
        "the page is wider than the screen"
    );
    browser.close().await;
    console.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_supervisor_approves_an_order_awaiting_approval() {
    let Some(browser) = Browser::start("supervisor_approves").await else {
        return;
    };
    let world = World::start_with(WorldOptions {
        tweak: Box::new(|config| {
            config.auth.approval = vec![assethub_hub::config::ApprovalRule {
                court: COURT.into(),
                above_fen: 50_000,
                seals: true,
                written_answers: false,
            }];
        }),
        ..WorldOptions::default()
    })
    .await;
    // A judge's freeze of 1,000.00 yuan, over the court's 500.00 yuan threshold.
    let (mut search, mut orders) = clients_as(&world.channel, Role::Judge, COURT);
    let found = search
        .query(assethub_tests::demo_person_query())
        .await
        .unwrap()
        .into_inner();
    let account = found
        .sources
        .iter()
        .flat_map(|s| s.assets.iter())
        .find_map(|a| match &a.detail {
            Some(pb::asset::Detail::Deposit(d)) if d.balance_fen - d.frozen_fen >= 100_000 => {
                Some(a.asset_ref.clone())
            }
            _ => None,
        })
        .expect("an account with 1,000.00 yuan free");
    let waiting = orders
        .place_hold(pb::PlaceHoldRequest {
            instruction: assethub_tests::instruction(CASE, "console-approval"),
            action: pb::OrderAction::Freeze as i32,
            asset_ref: account,
            debtor: assethub_tests::demo_debtor(),
            amount_fen: 100_000,
            days: 30,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(waiting.state, pb::OrderState::AwaitingApproval as i32);

    let console = console(&world).await;
    sign_in(&browser, &console, 1).await;
    browser.goto(&format!("{}approvals", console.url())).await;
    let row = format!("#order-{}", waiting.order_id);
    browser.wait_for(&row, WAIT).await;
    browser.screenshot("queue").await;
    browser
        .fill(&format!("#reason-{}", waiting.order_id), "已核对裁定与账户")
        .await;
    browser
        .click(&format!(
            "tr.decide[data-order='{}'] button.approve",
            waiting.order_id
        ))
        .await;
    browser.wait_text("#decided", "已批准", WAIT).await;
    browser.screenshot("approved").await;
    let decided = orders
        .get_order(pb::GetOrderRequest {
            order_id: waiting.order_id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_ne!(decided.state, pb::OrderState::AwaitingApproval as i32);
    assert_eq!(
        decided.approver,
        assethub_tests::officer_of(Role::Supervisor)
    );
    browser.close().await;
    console.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_auditor_verifies_the_chain() {
    let Some(browser) = Browser::start("auditor_verifies").await else {
        return;
    };
    let world = World::start_with(WorldOptions::default()).await;
    let console = console(&world).await;
    sign_in(&browser, &console, 2).await;
    browser.goto(&format!("{}audit", console.url())).await;
    browser.wait_for("tr.entry", WAIT).await;
    // Signing in asked the hub something an auditor may ask: no refusal in the log.
    let log = browser.text("#entries").await;
    assert!(log.contains("CheckpointAudit"), "{log}");
    assert!(!log.contains("PERMISSION_DENIED"), "{log}");
    browser.click("#verify-submit").await;
    let verdict = browser
        .wait_text("#verify-result", "审计链完整", WAIT)
        .await;
    assert!(verdict.contains("已校验"), "{verdict}");
    browser.screenshot("verified").await;
    browser.close().await;
    console.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_judge_of_another_court_neither_sees_nor_acts_on_the_case() {
    let Some(browser) = Browser::start("other_court").await else {
        return;
    };
    let world = World::start_with(WorldOptions::default()).await;
    let console = console(&world).await;
    sign_in(&browser, &console, 3).await;
    assert!(browser.text("#who").await.contains(OTHER_COURT));
    browser.goto(&format!("{}cases", console.url())).await;
    browser.wait_for("#cases", WAIT).await;
    assert_eq!(
        browser.count(&format!("tr.case[data-case='{CASE}']")).await,
        0,
        "the 鄂0116 case is listed to a judge of 鄂01"
    );
    browser
        .goto(&format!(
            "{}case?n={}",
            console.url(),
            assethub_console::html::url(CASE)
        ))
        .await;
    browser.wait_text(".error", "无权", WAIT).await;
    assert_eq!(browser.count("tr.order").await, 0);
    // Straight to the one-click freeze of the case's first debtor: refused, nothing recorded.
    browser
        .goto(&format!(
            "{}freeze?case={}&debtor=0&cap=1000",
            console.url(),
            assethub_console::html::url(CASE)
        ))
        .await;
    browser.wait_text(".error", "无权", WAIT).await;
    assert_eq!(browser.count("#freeze-confirm").await, 0);
    browser.screenshot("refused").await;
    let listed = case_orders(&world).await;
    assert!(listed.is_empty());
    browser.close().await;
    console.stop();
}

/// A page of another origin that posts a one-click freeze to the console as soon as it loads.
const FORGED: &str = r#"<!doctype html><html><body><form id="f" method="post" action="CONSOLE/freeze">
<input name="case" value="CASE"><input name="debtor" value="0"><input name="cap_fen" value="100000">
<input name="ruling" value="(2024)鄂0116执1234号之一"><input name="confirm" value="1"><input name="key" value="forged-1"><input name="csrf" value="guess">
</form><script>document.getElementById('f').submit()</script></body></html>"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_form_posted_from_another_origin_changes_nothing() {
    let Some(browser) = Browser::start("csrf").await else {
        return;
    };
    let world = World::start_with(WorldOptions::default()).await;
    let console = console(&world).await;
    sign_in(&browser, &console, 0).await;
    let forged = FORGED
        .replace("CONSOLE", console.url().trim_end_matches('/'))
        .replace("CASE", CASE);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let evil = listener.local_addr().unwrap();
    let app = axum::Router::new().route(
        "/",
        axum::routing::get(move || {
            let page = forged.clone();
            async move { axum::response::Html(page) }
        }),
    );
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    browser.goto(&format!("http://{evil}/")).await;
    browser.wait_text("main", "未做任何操作", WAIT).await;
    browser.screenshot("refused").await;
    let listed = case_orders(&world).await;
    assert!(listed.is_empty(), "a forged form froze {listed:?}");
    server.abort();
    browser.close().await;
    console.stop();
}

/// Fields without a label, buttons without a name, and anything taken out of (or forced into)
/// the keyboard's order, on the page shown: what a keyboard or screen-reader user would miss.
const UNREACHABLE: &str = r#"
const named = e => (e.labels && e.labels.length) || e.getAttribute('aria-label') || e.getAttribute('aria-labelledby');
const fields = [...document.querySelectorAll('input, select, textarea')]
  .filter(e => !['hidden', 'submit', 'button'].includes(e.type) && !named(e));
const buttons = [...document.querySelectorAll('button, input[type=submit], input[type=button]')]
  .filter(b => !(b.textContent.trim() || b.value || b.getAttribute('aria-label')));
const order = [...document.querySelectorAll('a[href], button, input, select, textarea')]
  .filter(e => e.type !== 'hidden' && e.tabIndex !== 0);
return [...fields, ...buttons, ...order].map(e => e.outerHTML.slice(0, 160));
"#;

/// Checks the page at `url` (once `ready` shows) at 1280×800 and 1920×1080: nothing wider than
/// the screen, every field labelled, everything in the keyboard's order; saves both screens.
async fn check_page(browser: &Browser, url: &str, ready: &str, name: &str) {
    browser.goto(url).await;
    browser.wait_for(ready, WAIT).await;
    for (width, height) in [(1280, 800), (1920, 1080)] {
        browser.resize(width, height).await;
        let overflow = browser
            .execute("return document.documentElement.scrollWidth - window.innerWidth")
            .await;
        assert!(
            overflow.as_i64().is_some_and(|o| o <= 0),
            "{name} at {width}x{height} is {overflow} px wider than the screen"
        );
        browser.screenshot(&format!("{name}-{width}")).await;
    }
    let missed = browser.execute(UNREACHABLE).await;
    assert_eq!(
        missed,
        serde_json::json!([]),
        "{name}: unlabelled or out of the keyboard's order"
    );
}

/// Presses `key` where the focus is (a key going down and up, as a keyboard sends it); returns
/// the id of the element focused after it.
async fn press(browser: &Browser, key: fantoccini::key::Key) -> String {
    use fantoccini::actions::{InputSource, KeyAction, KeyActions};
    let value = char::from(key);
    let keys = KeyActions::new("keyboard".into())
        .then(KeyAction::Down { value })
        .then(KeyAction::Up { value });
    browser
        .client()
        .perform_actions(keys)
        .await
        .expect("the key is pressed");
    browser
        .execute("return document.activeElement ? document.activeElement.id : ''")
        .await
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// Tabs until the element `id` has the focus (at most 30 presses).
async fn tab_to(browser: &Browser, id: &str) {
    for _ in 0..30 {
        if press(browser, fantoccini::key::Key::Tab).await == id {
            return;
        }
    }
    panic!("#{id} is never reached with the Tab key");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_fits_both_screens_and_works_from_the_keyboard() {
    let Some(browser) = Browser::start("every_page").await else {
        return;
    };
    let world = World::start_with(WorldOptions::default()).await;
    let console = console(&world).await;
    let base = console.url();
    check_page(&browser, &format!("{base}signin"), "#identity", "signin").await;

    // Signing in without a mouse: Tab to the identity picker, pick the supervisor with the
    // arrow keys, Tab to the button, Enter.
    browser.goto(&format!("{base}signin")).await;
    browser.wait_for("#identity", WAIT).await;
    tab_to(&browser, "identity").await;
    // The first choice is "use the token below"; the supervisor is the second identity.
    press(&browser, fantoccini::key::Key::Down).await;
    press(&browser, fantoccini::key::Key::Down).await;
    let picked = browser
        .execute("return document.getElementById('identity').value")
        .await;
    assert_eq!(
        picked,
        serde_json::json!("1"),
        "the arrow keys pick the supervisor"
    );
    tab_to(&browser, "signin-submit").await;
    press(&browser, fantoccini::key::Key::Enter).await;
    browser.wait_for("#who", WAIT).await;
    assert!(browser.text("#who").await.contains(COURT));

    let case = assethub_console::html::url(CASE);
    check_page(&browser, &format!("{base}centre"), "#who", "centre").await;
    check_page(&browser, &format!("{base}approvals"), "#who", "approvals").await;
    check_page(&browser, &format!("{base}cases"), "#who", "cases").await;

    sign_in(&browser, &console, 0).await;
    check_page(&browser, &format!("{base}case?n={case}"), "#feed", "case").await;
    let debtor = zhang_wei(&browser, &console).await;
    let search = format!("{base}search?case={case}&debtor={debtor}");
    check_page(&browser, &search, "#done", "search").await;
    let hold = browser
        .execute(
            "const a = document.querySelector('a.act'); return a ? a.getAttribute('href') : null",
        )
        .await;
    let hold = hold.as_str().expect("a result offers an act");
    check_page(
        &browser,
        &format!("{}{}", base.trim_end_matches('/'), hold),
        "#who",
        "hold",
    )
    .await;

    // The judge's search is in the command centre's figures for today, agency by agency.
    sign_in(&browser, &console, 1).await;
    check_page(
        &browser,
        &format!("{base}centre"),
        "#agencies",
        "centre-today",
    )
    .await;
    assert_eq!(browser.text("#searches-today").await, "1");
    assert_eq!(
        browser.count("tr.agency").await,
        world.config.sources.len(),
        "{}",
        browser.page_text().await
    );
    assert!(browser.count("tr.kind").await >= 4, "rows by kind of asset");

    sign_in(&browser, &console, 2).await;
    check_page(&browser, &format!("{base}audit"), "tr.entry", "audit").await;
    sign_in(&browser, &console, 4).await;
    check_page(&browser, &format!("{base}sources"), "#who", "sources").await;
    browser.close().await;
    console.stop();
}
